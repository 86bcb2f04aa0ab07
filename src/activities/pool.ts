import os from 'node:os';
import { BroadcastChannel } from 'node:worker_threads';
import { Piscina } from 'piscina';
import type { ThreadOutcome, ThreadTask } from './backtest-thread.js';

/**
 * Backtests run in a pool of worker threads, one per backtest slot, so that the activity's event
 * loop stays free for heartbeats, polling and store writes while the CPU works.
 */
export interface BacktestPool {
  readonly threads: number;
  /**
   * Runs one task. With `timeoutMs`, a task still running that long after its thread started it is
   * stopped: piscina terminates the thread (and starts a fresh one), and the outcome is a failure
   * naming parallel_config.max_operation_seconds.
   */
  run(task: PoolTask, opts?: { signal?: AbortSignal; timeoutMs?: number }): Promise<ThreadOutcome>;
  destroy(): Promise<void>;
}

/** What a caller hands the pool; the pool adds the bookkeeping the thread reports back with. */
export type PoolTask = Omit<ThreadTask, 'started'>;

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

let pools = 0;

export function createBacktestPool(threads = defaultSlots()): BacktestPool {
  const fromSource = import.meta.url.endsWith('.ts');
  const pool = new Piscina<ThreadTask, ThreadOutcome>({
    filename: new URL(`./backtest-thread${fromSource ? '.ts' : '.js'}`, import.meta.url).href,
    execArgv: threadExecArgv(fromSource),
    minThreads: threads,
    maxThreads: threads,
    idleTimeout: 60_000,
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
    async run(task, opts = {}) {
      const { signal, timeoutMs } = opts;
      if (timeoutMs === undefined) return pool.run(task, { signal });
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
        return await pool.run({ ...task, started: { channel, number } }, { signal: controller.signal });
      } catch (error) {
        if (timedOut) return timedOutOutcome(task.file, timeoutMs);
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

function timedOutOutcome(file: string, timeoutMs: number): ThreadOutcome {
  const field = 'parallel_config.max_operation_seconds';
  const reason = `stopped after ${timeoutMs / 1000} s without finishing (a plugin that never returns?); its backtest slot was restarted`;
  return { ok: false, error: { file, field, reason, message: `${file}: ${field}: ${reason}` } };
}
