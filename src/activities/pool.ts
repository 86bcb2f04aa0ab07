import os from 'node:os';
import { Piscina } from 'piscina';
import type { HashOutcome, HashTask, RunOutcome, RunTask } from './backtest-thread.js';

/**
 * Backtests run in a pool of worker threads, one per backtest slot, so that the activity's event
 * loop stays free for heartbeats, polling and store writes while the CPU works. A task is a batch of
 * one sweep's operations (src/activities/backtest-thread.ts).
 */
export interface BacktestPool {
  readonly threads: number;
  hashOperations(task: HashTask, signal?: AbortSignal): Promise<HashOutcome>;
  runOperations(task: RunTask, signal?: AbortSignal): Promise<RunOutcome>;
  destroy(): Promise<void>;
}

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
    // A second task waits inside each thread, so threads keep working while the activity's thread
    // is busy writing to the store and cannot hand out the next one.
    concurrentTasksPerWorker: 2,
    idleTimeout: 60_000,
  });
  return {
    threads,
    hashOperations: (task, signal) => pool.run(task, { name: 'hashOperations', signal }),
    runOperations: (task, signal) => pool.run(task, { name: 'runOperations', signal }),
    destroy: () => pool.destroy(),
  };
}
