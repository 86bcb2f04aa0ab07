import type { ResourceLimits } from 'node:worker_threads';

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
    : `${who} ended its thread with exit code ${ending.code} (process.exit?) instead of returning`;
}

/** `plugin "a"`, or `one of plugins "a", "b"`: who ran when a thread ended (no stack says which). */
export function pluginsWho(names: readonly string[]): string {
  if (names.length === 1) return `plugin "${names[0]}"`;
  return names.length ? `one of plugins ${names.map((n) => `"${n}"`).join(', ')}` : 'plugin code';
}

/** A thrown value that is not an Error (`throw 'a string'`), shown as the plugin threw it. */
export function describeThrown(value: unknown): string {
  let shown: string;
  try {
    shown = typeof value === 'string' ? JSON.stringify(value) : typeof value === 'object' && value !== null ? JSON.stringify(value) ?? String(value) : String(value);
  } catch {
    shown = Object.prototype.toString.call(value);
  }
  return shown.length > 200 ? `${shown.slice(0, 200)}…` : shown;
}
