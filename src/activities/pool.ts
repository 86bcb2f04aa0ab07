import os from 'node:os';
import { Piscina } from 'piscina';
import type { ThreadOutcome, ThreadTask } from './backtest-thread.js';

/**
 * Backtests run in a pool of worker threads, one per backtest slot, so that the activity's event
 * loop stays free for heartbeats, polling and store writes while the CPU works.
 */
export interface BacktestPool {
  readonly threads: number;
  run(task: ThreadTask, signal?: AbortSignal): Promise<ThreadOutcome>;
  destroy(): Promise<void>;
}

export function defaultSlots(): number {
  return Math.max(1, os.availableParallelism());
}

export function createBacktestPool(threads = defaultSlots()): BacktestPool {
  const fromSource = import.meta.url.endsWith('.ts');
  const pool = new Piscina<ThreadTask, ThreadOutcome>({
    filename: new URL(`./backtest-thread${fromSource ? '.ts' : '.js'}`, import.meta.url).href,
    // Threads load TypeScript the way this process does, however it was started (tsx CLI or API).
    execArgv: fromSource && !process.execArgv.some((a) => a.includes('tsx')) ? [...process.execArgv, '--import', 'tsx'] : process.execArgv,
    minThreads: threads,
    maxThreads: threads,
    idleTimeout: 60_000,
  });
  return {
    threads,
    run: (task, signal) => pool.run(task, { signal }),
    destroy: () => pool.destroy(),
  };
}
