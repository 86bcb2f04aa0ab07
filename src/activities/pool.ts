import os from 'node:os';
import { BroadcastChannel } from 'node:worker_threads';
import { Piscina, type PiscinaTask, type TaskQueue } from 'piscina';
import { DEFAULT_OPERATION_MEMORY_MB, DEFAULT_OPERATION_SECONDS, type Workforce } from '../config/schemas.js';
import { workforceAt } from '../config/operation-at.js';
import type { SweepSpec } from '../config/sweep.js';
import { BUILTIN_PLUGINS } from '../engine/plugins/registry.js';
import type { PluginBundle } from '../user-plugins/index.js';
import { containedThread, endingReason, pluginsWho, threadEnding, threadEntry, type ThreadEnding } from '../user-plugins/containment.js';
import type { HashOutcome, HashTask, RunOutcome, RunTask, UserError } from './backtest-thread.js';

type PiscinaOptions = NonNullable<ConstructorParameters<typeof Piscina>[0]>;

/**
 * Backtests run in a pool of worker threads, one per backtest slot, so that the activity's event
 * loop stays free for heartbeats, polling and store writes while the CPU works. A task is a batch of
 * one sweep's operations (src/activities/backtest-thread.ts).
 */
export interface BacktestPool {
  readonly threads: number;
  /** Hashes a pack; a sweep's plugin code that does not load (a user error, its time limit, its thread ended) comes back as the outcome's error. */
  hashOperations(task: HashTask, signal?: AbortSignal): Promise<HashOutcome>;
  /**
   * Runs a batch. With `timeoutMs`, a batch still running that long after its thread started it is
   * stopped: piscina terminates the thread (and starts a fresh one), and the outcome is a failure
   * naming parallel_config.max_operation_seconds. A batch of plugin code whose thread ends under it
   * (out of memory, process.exit) fails alike, naming the plugin.
   */
  runOperations(task: PoolTask, opts?: { signal?: AbortSignal; timeoutMs?: number }): Promise<RunOutcome>;
  destroy(): Promise<void>;
}

/** What a caller hands the pool; the pool adds the bookkeeping the thread reports back with. */
export type PoolTask = Omit<RunTask, 'started'>;

let pools = 0;

export function defaultSlots(): number {
  return Math.max(1, os.availableParallelism());
}

/**
 * `unisolated` exists for bench/isolation.ts alone, which weighs isolation against running without
 * it: sweeps with plugin code then run in ordinary threads of that thread module (as built-ins do),
 * which evaluates their bundle in the thread unchecked. Nothing a user writes reaches it.
 */
export function createBacktestPool(threads = defaultSlots(), unisolated?: { filename: URL; execArgv: string[] }): BacktestPool {
  // Built-in code is trusted: its threads share the process's limits. Up to three tasks wait inside
  // each thread, so threads keep working while the activity's thread is busy writing to the store and
  // cannot hand out the next one: a flush of 1,000 rows holds it for ~40 ms, three batches of 128
  // cheap operations.
  const trusted = newPiscina(threads, { minThreads: threads, concurrentTasksPerWorker: 4 });
  // Plugin code runs in threads of its own, one pool per memory ceiling (docs/plugins.md, "How plugin
  // code is contained"), one task per thread: a thread that dies takes only its own operation along.
  const contained = new Map<number, Piscina>();
  const ordinary = unisolated && newPiscina(threads, { minThreads: threads, concurrentTasksPerWorker: 4 }, unisolated);
  const poolFor = (task: { spec: SweepSpec; plugins: PluginBundle | null }): { pool: Piscina; memoryMb: number | null } => {
    if (task.plugins === null) return { pool: trusted, memoryMb: null };
    if (ordinary) return { pool: ordinary, memoryMb: null };
    const memoryMb = task.spec.parallel.max_operation_memory_mb ?? DEFAULT_OPERATION_MEMORY_MB;
    let pool = contained.get(memoryMb);
    if (!pool) {
      pool = newPiscina(threads, { minThreads: 0, concurrentTasksPerWorker: 1, ...containedThread(memoryMb) });
      contained.set(memoryMb, pool);
    }
    return { pool, memoryMb };
  };
  // A task's clock starts when a thread takes it up, not when it is queued: threads post the
  // task's number on this channel as they start it.
  const channel = `sweeplab-pool-${process.pid}-${++pools}`;
  const starts = new BroadcastChannel(channel);
  const onStart = new Map<number, () => void>();
  starts.onmessage = (event) => onStart.get((event as { data: number }).data)?.();
  starts.unref();
  let tasks = 0;

  /**
   * Runs `task` on `pool`; with `timeoutMs`, a task still running that long after its thread took
   * it up is stopped (piscina terminates the thread and starts a fresh one) and TIMED_OUT comes back.
   */
  async function run<T>(pool: Piscina, name: string, task: HashTask | RunTask, opts: { signal?: AbortSignal; timeoutMs?: number }): Promise<T | typeof TIMED_OUT> {
    const { signal, timeoutMs } = opts;
    const number = ++tasks;
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    let timedOut = false;
    if (timeoutMs !== undefined) {
      onStart.set(number, () => {
        timer = setTimeout(() => {
          timedOut = true;
          controller.abort();
        }, timeoutMs);
      });
    }
    const cancel = () => controller.abort(signal?.reason);
    if (signal?.aborted) cancel();
    signal?.addEventListener('abort', cancel, { once: true });
    try {
      return (await pool.run(timeoutMs === undefined ? task : { ...task, started: { channel, number } }, { name, signal: controller.signal })) as T;
    } catch (error) {
      if (timedOut) return TIMED_OUT;
      throw error;
    } finally {
      onStart.delete(number);
      clearTimeout(timer);
      signal?.removeEventListener('abort', cancel);
    }
  }

  return {
    threads,
    async hashOperations(task, signal) {
      const { pool, memoryMb } = poolFor(task);
      // Hashing loads the sweep's code first: plugin code gets the operation's time limit for it.
      const timeoutMs = memoryMb === null ? undefined : (task.spec.parallel.max_operation_seconds ?? DEFAULT_OPERATION_SECONDS) * 1000;
      try {
        const outcome = await run<HashOutcome>(pool, 'hashOperations', task, { signal, timeoutMs });
        if (outcome !== TIMED_OUT) return outcome;
        return { ok: false, error: userError(task.spec.file, 'parallel_config.max_operation_seconds', `loading the sweep's plugin code did not finish within ${timeoutMs! / 1000} s (does a plugin file's top level never return?)`) };
      } catch (error) {
        const ending = memoryMb === null ? null : threadEnding(error, memoryMb);
        if (!ending) throw error;
        return { ok: false, error: userError(task.spec.file, endingField(ending), `${endingReason("the sweep's plugin code", ending)} while it was loaded`) };
      }
    },
    async runOperations(task, opts = {}) {
      const { pool, memoryMb } = poolFor(task);
      try {
        const outcome = await run<RunOutcome>(pool, 'runOperations', task, opts);
        return outcome === TIMED_OUT ? failedOutcome(task, timedOutError(task, opts.timeoutMs!)) : outcome;
      } catch (error) {
        const ending = memoryMb === null ? null : threadEnding(error, memoryMb);
        if (ending) return failedOutcome(task, endedError(task, ending));
        throw error;
      }
    },
    destroy: async () => {
      starts.close();
      await Promise.all([trusted, ...(ordinary ? [ordinary] : []), ...contained.values()].map((pool) => pool.destroy()));
    },
  };
}

const TIMED_OUT = Symbol('timed out');

function newPiscina(threads: number, options: Pick<PiscinaOptions, 'minThreads' | 'concurrentTasksPerWorker' | 'resourceLimits' | 'env'>, entry = threadEntry(import.meta.url, 'backtest-thread')): Piscina {
  // From source, the thread's entry registers tsx itself (see that file for why).
  const { filename, execArgv } = entry;
  return new Piscina({
    filename: filename.href,
    execArgv,
    maxThreads: threads,
    idleTimeout: 60_000,
    taskQueue: new HashesFirst(),
    ...options,
  });
}

/**
 * The pool's queue, first in first out except that hashing goes first: an activity hashes its pack
 * before it can hand out a single batch (src/activities/index.ts), and behind the batches of the
 * activities already running that hash would wait while the threads run out of work.
 */
class HashesFirst implements TaskQueue {
  readonly #hashes: PiscinaTask[] = [];
  readonly #runs: PiscinaTask[] = [];

  get size(): number {
    return this.#hashes.length + this.#runs.length;
  }

  push(task: PiscinaTask): void {
    this.#queueOf(task).push(task);
  }

  unshift(task: PiscinaTask): void {
    this.#queueOf(task).unshift(task);
  }

  shift(): PiscinaTask | null {
    return this.#hashes.shift() ?? this.#runs.shift() ?? null;
  }

  remove(task: PiscinaTask): void {
    const queue = this.#queueOf(task);
    const at = queue.indexOf(task);
    if (at !== -1) queue.splice(at, 1);
  }

  #queueOf(task: PiscinaTask): PiscinaTask[] {
    return task.name === 'hashOperations' ? this.#hashes : this.#runs;
  }
}

/** Every operation of `task` failed with `error` (sweeps with user code run batches of one). */
function failedOutcome(task: PoolTask, error: UserError): RunOutcome {
  return { ok: true, operations: task.indices.map((idx) => ({ idx, ok: false as const, error })) };
}

function userError(file: string, field: string, reason: string): UserError {
  return { file, field, reason, message: `${file}${field ? `: ${field}` : ''}: ${reason}` };
}

/** A batch stopped by its time limit. */
function timedOutError(task: PoolTask, timeoutMs: number): UserError {
  const reason = `stopped after ${timeoutMs / 1000} s without finishing (a plugin that never returns?); its backtest slot was restarted`;
  return userError(task.spec.file, 'parallel_config.max_operation_seconds', reason);
}

/** A batch whose thread ended under it: out of memory, or the plugin ended the thread itself. */
function endedError(task: PoolTask, ending: ThreadEnding): UserError {
  const who = pluginsWho([...new Set(task.indices.flatMap((idx) => userPluginNames(workforceAt(task.spec, idx))))]);
  return userError(task.spec.file, endingField(ending), `${endingReason(who, ending)}; its backtest slot was restarted`);
}

function endingField(ending: ThreadEnding): string {
  return ending.kind === 'memory' ? 'parallel_config.max_operation_memory_mb' : 'workforce';
}

/** The plugins a workforce names that are not built-ins: the only code that can end a thread. */
function userPluginNames(workforce: Workforce): string[] {
  return Object.values(workforce).flatMap((phases) =>
    Object.values(phases as Record<string, Array<{ plugin: string }>>).flatMap((entries) => entries.map((e) => e.plugin).filter((name) => !BUILTIN_PLUGINS.byName.has(name))),
  );
}
