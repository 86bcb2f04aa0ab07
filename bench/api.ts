import { blockReturns } from '../src/engine/block-returns.js';
import { DEFAULT_BLOCKS, encodeBlocks } from '../src/store/blocks-codec.js';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@temporalio/client';
import { createApp } from '../src/api/app.js';
import { loadOptimizationFile } from '../src/intake/load.js';
import { optimizationSpec } from '../src/config/sweep.js';
import { mulberry32 as random } from '../src/core/random.js';
import { Sweeps } from '../src/client/sweeps.js';
import { METRIC_NAMES, type Metrics } from '../src/engine/result.js';
import { openStore } from '../src/store/index.js';
import type { OperationRecord } from '../src/store/types.js';

/*
 * Latency of the results table at scale: one sweep of 100,000 stored operations (synthetic metrics,
 * a deterministic generator) in a temp SQLite store, queried through the app as the page does.
 * Target: p95 ≤ 100 ms per request.
 */

const repoRoot = path.resolve(import.meta.dirname, '..');
const ROWS = 100_000;
const BATCH = 5_000;
const RUNS = 60;
const WARMUP = 5;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export async function benchApi(): Promise<Record<string, number | string>> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sweeplab-bench-api-'));
  const store = await openStore({ url: `sqlite:${path.join(dir, 'store.db')}` });
  try {
    await store.migrate();
    const id = 'bench-api';
    await store.createSweep({ id, kind: 'optimization', name: 'bench', total: ROWS, primary_metric: 'sharpe_ratio', spec: { ...optimizationSpec(loadOptimizationFile(path.join(repoRoot, 'examples/optimization.yaml'), { dataRoot: repoRoot })), min_trades: 0 }, param_names: ['fast', 'slow', 'atr_multiplier'] });
    const rnd = random(42);
    // Every row carries block returns of the default size, as real rows do.
    const blocks = encodeBlocks(blockReturns(Array.from({ length: 2_000 }, () => 10_000 * (1 + rnd() / 100)), DEFAULT_BLOCKS));
    const loadStarted = performance.now();
    for (let from = 0; from < ROWS; from += BATCH) {
      const rows: OperationRecord[] = [];
      for (let idx = from; idx < Math.min(ROWS, from + BATCH); idx++) {
        const metrics = Object.fromEntries(METRIC_NAMES.map((m) => [m, rnd() * 4 - 1])) as Metrics;
        metrics.total_trades = Math.floor(rnd() * 80);
        // One in fifty without trades has no Sharpe, as real sweeps have.
        if (idx % 50 === 0) metrics.sharpe_ratio = null;
        rows.push({
          sweep_id: id,
          idx,
          hash: createHash('sha256').update(String(idx)).digest('hex'),
          params: { fast: 5 + (idx % 100), slow: 20 + (Math.floor(idx / 100) % 100), atr_multiplier: 1 + (Math.floor(idx / 10_000) % 10) / 2 },
          status: 'done',
          error: null,
          metrics,
          duration_ms: 1,
          blocks,
        });
      }
      await store.recordOperations(rows);
    }
    const loadMs = performance.now() - loadStarted;

    // The results routes read the store only; the client is never contacted.
    const app = createApp({ sweeps: new Sweeps(new Client(), store, 'bench'), store, dataRoot: dir });
    const measure = async (url: string): Promise<{ p50: number; p95: number }> => {
      const times: number[] = [];
      for (let i = 0; i < WARMUP + RUNS; i++) {
        const started = performance.now();
        const res = await app.request(url);
        const body = (await res.json()) as { rows: unknown[] };
        const ms = performance.now() - started;
        if (res.status !== 200 || body.rows.length !== 50) throw new Error(`${url}: status ${res.status}, ${body.rows?.length} rows`);
        if (i >= WARMUP) times.push(ms);
      }
      times.sort((a, b) => a - b);
      return { p50: percentile(times, 50), p95: percentile(times, 95) };
    };
    const base = `/api/sweeps/${id}/results`;
    const top = await measure(`${base}?sort=sharpe_ratio&order=desc&limit=50`);
    const deep = await measure(`${base}?sort=sharpe_ratio&order=desc&limit=50&offset=50000`);
    const param = await measure(`${base}?sort=fast&order=asc&limit=50`);
    const round = (ms: number) => Math.round(ms * 10) / 10;
    return {
      rows: ROWS,
      load_ms: Math.round(loadMs),
      top_page_p50_ms: round(top.p50),
      top_page_p95_ms: round(top.p95),
      deep_page_p50_ms: round(deep.p50),
      deep_page_p95_ms: round(deep.p95),
      param_sort_p50_ms: round(param.p50),
      param_sort_p95_ms: round(param.p95),
      target_p95_ms: 100,
    };
  } finally {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const figures = await benchApi();
  for (const [k, v] of Object.entries(figures)) console.log(`${k.padEnd(20)} ${v}`);
}
