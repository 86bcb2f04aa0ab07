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

/**
 * Node flags of the backtest threads. Compiled (the installed package) they are this process's own.
 * From the TypeScript sources the threads need tsx as well, however this process got it (tsx CLI,
 * `--import tsx`, or bin/sweeplab.mjs's register()), and it is named by its absolute URL: a bare
 * `tsx` resolves from the working directory, which is the user's workspace, not this repository.
 */
function threadExecArgv(fromSource: boolean): string[] {
  if (!fromSource) return process.execArgv;
  const tsx = import.meta.resolve('tsx');
  const args = process.execArgv.map((a) => (a === 'tsx' ? tsx : a === '--import=tsx' ? `--import=${tsx}` : a));
  return args.some((a) => a.includes('tsx')) ? args : [...args, '--import', tsx];
}

export function createBacktestPool(threads = defaultSlots()): BacktestPool {
  const fromSource = import.meta.url.endsWith('.ts');
  const pool = new Piscina<ThreadTask, ThreadOutcome>({
    filename: new URL(`./backtest-thread${fromSource ? '.ts' : '.js'}`, import.meta.url).href,
    execArgv: threadExecArgv(fromSource),
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
