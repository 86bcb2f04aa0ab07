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

export function createBacktestPool(threads = defaultSlots()): BacktestPool {
  const fromSource = import.meta.url.endsWith('.ts');
  const pool = new Piscina({
    filename: new URL(`./backtest-thread${fromSource ? '.ts' : '.js'}`, import.meta.url).href,
    // Threads load TypeScript the way this process does, however it was started (tsx CLI or API).
    execArgv: fromSource && !process.execArgv.some((a) => a.includes('tsx')) ? [...process.execArgv, '--import', 'tsx'] : process.execArgv,
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
