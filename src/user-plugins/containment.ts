import { parentPort, Worker, workerData, type ResourceLimits } from 'node:worker_threads';
import { ConfigError, isConfigError } from '../config/errors.js';

/*
 * What every thread that runs workspace plugin code shares, wherever it runs (a sweep's backtest
 * slot, `run-operation`, the check of a submission): a heap ceiling, no environment, and the words
 * for a plugin that ended its thread instead of returning (docs/plugins.md, "How plugin code is
 * contained").
 */

/** Worker options of a thread that runs plugin code: its heap capped at `memoryMb`, an empty `process.env`. */
export function containedThread(memoryMb: number): { resourceLimits: ResourceLimits; env: Record<string, string> } {
  return {
    resourceLimits: {
      maxOldGenerationSizeMb: memoryMb,
      // The young generation counts on top of the old; a slice of the ceiling keeps the sum near it.
      maxYoungGenerationSizeMb: Math.max(1, Math.min(32, Math.floor(memoryMb / 8))),
    },
    env: {},
  };
}

/** How a thread running plugin code ended without answering. */
export type ThreadEnding = { kind: 'memory'; memoryMb: number } | { kind: 'exit'; code: number };

/** The ending of a thread from the error its pool or its `error`/`exit` event reports; null for any other error. */
export function threadEnding(error: unknown, memoryMb: number): ThreadEnding | null {
  if ((error as NodeJS.ErrnoException | null)?.code === 'ERR_WORKER_OUT_OF_MEMORY') return { kind: 'memory', memoryMb };
  // What piscina rejects a task with when its thread exits (process.exit in the plugin, say).
  const exited = error instanceof Error ? /^worker exited with code: (-?\d+)$/.exec(error.message) : null;
  return exited ? { kind: 'exit', code: Number(exited[1]) } : null;
}

/** What `who` (e.g. `plugin "x"`) did, said for a user: `plugin "x" exceeded the memory ceiling of 64 MB`. */
export function endingReason(who: string, ending: ThreadEnding): string {
  return ending.kind === 'memory'
    ? `${who} exceeded the memory ceiling of ${ending.memoryMb} MB (parallel_config.max_operation_memory_mb)`
    : `${who} ended its thread with exit code ${ending.code} (process.exit?)`;
}

/** `plugin "a"`, or `one of plugins "a", "b"`: who ran when a thread ended (no stack says which). */
export function pluginsWho(names: readonly string[]): string {
  if (names.length === 1) return `plugin "${names[0]}"`;
  return names.length ? `one of plugins ${names.map((n) => `"${n}"`).join(', ')}` : 'plugin code';
}

/**
 * What `who` threw when it is not an Error of this realm: an Error of another realm (plugin code
 * evaluated in a context of its own) by its name and message, anything else (`throw 'a string'`)
 * by its value, since no stack tells where either came from.
 */
export function thrownReason(who: string, value: unknown): string {
  const { name, message } = (typeof value === 'object' && value !== null ? value : {}) as { name?: unknown; message?: unknown };
  if (typeof name === 'string' && typeof message === 'string') return `${who} threw ${name}: ${message}`;
  let shown: string;
  try {
    shown = JSON.stringify(value) ?? String(value);
  } catch {
    shown = Object.prototype.toString.call(value);
  }
  if (shown.length > 200) shown = `${shown.slice(0, 200)}…`;
  return `${who} threw ${shown}, which is not an Error (throw new Error(…) to say where and why)`;
}

/** A thread module's entry (src/activities/pool.ts, the contained jobs): from source, a .mjs that registers tsx first. */
export function threadEntry(moduleUrl: string, name: string): { filename: URL; execArgv: string[] } {
  const fromSource = moduleUrl.endsWith('.ts');
  return {
    filename: new URL(fromSource ? `./${name}-source.mjs` : `./${name}.js`, moduleUrl),
    // tsx's own flags (`--import tsx`, the tsx CLI's preflight and loader) are left to the .mjs entry.
    execArgv: fromSource ? process.execArgv.filter((a, i, all) => !isTsxFlag(a) && !isTsxFlag(all[i + 1] ?? '')) : process.execArgv,
  };
}

function isTsxFlag(arg: string): boolean {
  return /[\\/]tsx[\\/]|^tsx$/.test(arg);
}

/** What a contained job's thread is doing, so that a thread that dies can be named: the file, who runs, what it does. */
export interface Stage {
  file: string;
  who: string;
  doing: string;
}

type JobMessage = { stage: Stage } | { done: unknown } | { error: { file: string | null; field: string; reason: string } } | { bug: { message: string; stack?: string } };

/**
 * Runs `job` in a thread of `entry` (a module that calls serveContainedJob) with a heap ceiling of
 * `memoryMb` and no environment: the job's value, or a ConfigError when it failed as a user error,
 * when plugin code ended the thread (out of memory, process.exit), or when it was still running
 * after `limitMs` (the job bounds plugin code itself, with withinSeconds; this bounds the rest).
 */
export function runContainedJob<T>(entry: { filename: URL; execArgv: string[] }, job: unknown, limits: { memoryMb: number; limitMs: number; stage: Stage }): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let stage = limits.stage;
    let settled = false;
    const worker = new Worker(entry.filename, { workerData: job, execArgv: entry.execArgv, ...containedThread(limits.memoryMb) });
    const settle = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      outcome();
      void worker.terminate();
    };
    const fail = (reason: string) => settle(() => reject(new ConfigError(stage.file, '', `${reason} while ${stage.doing}`)));
    const timer = setTimeout(() => fail(`${stage.who} did not finish within ${limits.limitMs / 1000} s`), limits.limitMs);
    worker.on('message', (message: JobMessage) => {
      if ('stage' in message) stage = message.stage;
      else if ('done' in message) settle(() => resolve(message.done as T));
      else if ('error' in message) settle(() => reject(new ConfigError(message.error.file, message.error.field, message.error.reason)));
      else settle(() => reject(Object.assign(new Error(message.bug.message), { stack: message.bug.stack })));
    });
    worker.on('error', (error) => {
      const ending = threadEnding(error, limits.memoryMb);
      if (ending) fail(endingReason(stage.who, ending));
      else settle(() => reject(error));
    });
    worker.on('exit', (code) => fail(endingReason(stage.who, { kind: 'exit', code })));
  });
}

/**
 * The thread side of runContainedJob: runs `work` on the job and reports how it went. A value
 * thrown that is not an Error can only come from plugin code (sweeplab throws Errors), so it is the
 * plugin's fault, named by the current stage; any other Error is a bug and is reported as one.
 */
export async function serveContainedJob(work: (job: never, stage: (stage: Stage) => void) => unknown): Promise<void> {
  const port = parentPort!;
  let current: Stage | null = null;
  const stage = (next: Stage) => {
    current = next;
    port.postMessage({ stage: next } satisfies JobMessage);
  };
  let message: JobMessage;
  try {
    message = { done: await work(workerData as never, stage) };
  } catch (error) {
    if (isConfigError(error)) message = { error: { file: error.file, field: error.field, reason: error.reason } };
    else if (error instanceof Error) message = { bug: { message: error.message, stack: error.stack } };
    else {
      const at: Stage = current ?? { file: 'plugins', who: 'plugin code', doing: 'running' };
      message = { error: { file: at.file, field: '', reason: thrownReason(at.who, error) } };
    }
  }
  port.postMessage(message);
}
