import vm from 'node:vm';

/*
 * A bound on synchronous plugin code run at submission (the checks of src/user-plugins/checks.ts):
 * node:vm's timeout has a watchdog thread stop whatever JavaScript runs in this thread when the
 * time is up, including functions from other contexts such as plugin code, so a plugin that never
 * returns makes a clear error instead of a submission that hangs.
 */

/** `fn()`, or null when it was still running after `seconds`. */
export function withinSeconds<T>(seconds: number, fn: () => T): { value: T } | null {
  try {
    return vm.runInNewContext('run()', { run: () => ({ value: fn() }) }, { timeout: Math.max(1, Math.round(seconds * 1000)) }) as { value: T };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_SCRIPT_EXECUTION_TIMEOUT') return null;
    throw error;
  }
}
