import os from 'node:os';
import { BroadcastChannel } from 'node:worker_threads';
import { Piscina, type PiscinaTask, type TaskQueue } from 'piscina';
import type { HashOutcome, HashTask, RunOutcome, RunTask } from './backtest-thread.js';

/**
 * Backtests run in a pool of worker threads, one per backtest slot, so that the activity's event
 * loop stays free for heartbeats, polling and store writes while the CPU works. A task is a batch of
 * one sweep's operations (src/activities/backtest-thread.ts).
 */
export interface BacktestPool {
  readonly threads: number;
  hashOperations(task: HashTask, signal?: AbortSignal): Promise<HashOutcome>;
  /**
   * Runs a batch. With `timeoutMs`, a batch still running that long after its thread started it is
   * stopped: piscina terminates the thread (and starts a fresh one), and the outcome is a failure
   * naming parallel_config.max_operation_seconds.
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

/** tsx's own flags (`--import tsx`, the tsx CLI's preflight and loader), left to the thread's entry. */
function isTsxFlag(arg: string): boolean {
  return /[\\/]tsx[\\/]|^tsx$/.test(arg);
}

export function createBacktestPool(threads = defaultSlots()): BacktestPool {
  const fromSource = import.meta.url.endsWith('.ts');
  const pool = new Piscina({
    // From source, the thread's entry registers tsx itself (see that file for why).
    filename: new URL(fromSource ? './backtest-thread-source.mjs' : './backtest-thread.js', import.meta.url).href,
    execArgv: fromSource ? process.execArgv.filter((a, i, all) => !isTsxFlag(a) && !isTsxFlag(all[i + 1] ?? '')) : process.execArgv,
    minThreads: threads,
    maxThreads: threads,
    // Up to three tasks wait inside each thread, so threads keep working while the activity's thread
    // is busy writing to the store and cannot hand out the next one: a flush of 1,000 rows holds it
    // for ~40 ms, three batches of 128 cheap operations.
    concurrentTasksPerWorker: 4,
    idleTimeout: 60_000,
    taskQueue: new HashesFirst(),
  });
  // A task's clock starts when a thread takes it up, not when it is queued: threads post the
  // task's number on this channel as they start it.
  const channel = `sweeplab-pool-${process.pid}-${++pools}`;
  const starts = new BroadcastChannel(channel);
  const onStart = new Map<number, () => void>();
  starts.onmessage = (event) => onStart.get((event as { data: number }).data)?.();
  starts.unref();
  let tasks = 0;

  return {
    threads,
    hashOperations: (task, signal) => pool.run(task, { name: 'hashOperations', signal }),
    async runOperations(task, opts = {}) {
      const { signal, timeoutMs } = opts;
      if (timeoutMs === undefined) return pool.run(task, { name: 'runOperations', signal });
      const number = ++tasks;
      const controller = new AbortController();
      let timer: NodeJS.Timeout | undefined;
      let timedOut = false;
      onStart.set(number, () => {
        timer = setTimeout(() => {
          timedOut = true;
          controller.abort();
        }, timeoutMs);
      });
      const cancel = () => controller.abort(signal?.reason);
      if (signal?.aborted) cancel();
      signal?.addEventListener('abort', cancel, { once: true });
      try {
        return await pool.run({ ...task, started: { channel, number } }, { name: 'runOperations', signal: controller.signal });
      } catch (error) {
        if (timedOut) return timedOutOutcome(task, timeoutMs);
        throw error;
      } finally {
        onStart.delete(number);
        clearTimeout(timer);
        signal?.removeEventListener('abort', cancel);
      }
    },
    destroy: async () => {
      starts.close();
      await pool.destroy();
    },
  };
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

/** A batch stopped by its time limit: each of its operations fails with this (sweeps with user code run batches of one). */
function timedOutOutcome(task: PoolTask, timeoutMs: number): RunOutcome {
  const { file } = task.spec;
  const field = 'parallel_config.max_operation_seconds';
  const reason = `stopped after ${timeoutMs / 1000} s without finishing (a plugin that never returns?); its backtest slot was restarted`;
  const error = { file, field, reason, message: `${file}: ${field}: ${reason}` };
  return { ok: true, operations: task.indices.map((idx) => ({ idx, ok: false as const, error })) };
}
