import { Worker } from 'node:worker_threads';
import type { SweepSpec } from '../src/config/sweep.js';
import { repoRoot } from './stack.js';

/**
 * The limit a sweep is measured against: runBacktest over every operation of the grid, in a loop, on
 * `threads` worker threads at once (each its share, bars loaded and operations materialized before
 * the clock starts; a sweep's user plugins evaluated in the thread unchecked, bench/host-evaluated.ts). Operations per second of wall time, from the start signal to the last thread.
 */
export async function bareEngineOpsPerSecond(spec: SweepSpec, indices: number[], threads: number, opts: { dataRoot?: string; bundleText?: string } = {}): Promise<number> {
  const shares = Array.from({ length: threads }, (_, t) => indices.filter((_, i) => i % threads === t));
  const workers = shares.map(
    (share) =>
      new Worker(new URL('./ts-thread.mjs', import.meta.url), {
        workerData: { module: new URL('./bare-engine-thread.ts', import.meta.url).href, spec, indices: share, dataRoot: opts.dataRoot ?? repoRoot, bundleText: opts.bundleText },
      }),
  );
  try {
    await Promise.all(workers.map((w) => new Promise((resolve, reject) => w.once('message', resolve).once('error', reject))));
    const started = performance.now();
    const done = workers.map((w) => new Promise((resolve, reject) => w.once('message', resolve).once('error', reject)));
    for (const w of workers) w.postMessage('go');
    await Promise.all(done);
    return indices.length / ((performance.now() - started) / 1000);
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}
