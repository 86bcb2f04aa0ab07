import { drawdownCurve } from '../../src/engine/metrics.js';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { loadOptimizationFile, loadVariantFile } from '../../src/intake/load.js';
import type { StoredSpec } from '../../src/config/stored-spec.js';
import { optimizationSpec, variantTestSpec } from '../../src/config/sweep.js';
import { loadWalkForwardFile } from '../../src/intake/walk-forward.js';
import type { BacktestResult, Metrics } from '../../src/engine/result.js';
import { METRIC_NAMES } from '../../src/engine/result.js';
import type { OperationRecord, Store } from '../../src/store/index.js';
import { encodeResult } from '../../src/store/result-codec.js';
import type { SqlStore } from '../../src/store/store.js';

const repoRoot = path.resolve(import.meta.dirname, '../..');

/** The spec of each kind of sweep the current code writes, from the examples; loaded once. */
export const exampleSpecs = (() => {
  let specs: { [K in StoredSpec['kind']]: Extract<StoredSpec, { kind: K }> } | undefined;
  return () => {
    const opts = { dataRoot: repoRoot };
    specs ??= {
      optimization: optimizationSpec(loadOptimizationFile(path.join(repoRoot, 'examples/optimization.yaml'), opts)),
      variant_test: variantTestSpec(loadVariantFile(path.join(repoRoot, 'examples/variant.yaml'), opts)),
      walk_forward: loadWalkForwardFile(path.join(repoRoot, 'examples/walk_forward.yaml'), opts).spec,
    };
    return specs;
  };
})();

/** A database per call, so every test builds its own state; `cleanup` removes them all. */
export interface TestDatabases {
  dialect: 'sqlite' | 'postgres';
  fresh(): Promise<string>;
  cleanup(): Promise<void>;
}

export function sqliteDatabases(): TestDatabases {
  const dirs: string[] = [];
  return {
    dialect: 'sqlite',
    async fresh() {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sweeplab-store-'));
      dirs.push(dir);
      return `sqlite:${path.join(dir, 'store.db')}`;
    },
    async cleanup() {
      for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A fresh schema per call in the database at `baseUrl`, selected through the connection's search_path. */
export function postgresDatabases(baseUrl: string): TestDatabases {
  const admin = new pg.Pool({ connectionString: baseUrl, max: 1 });
  const schemas: string[] = [];
  return {
    dialect: 'postgres',
    async fresh() {
      const schema = `sweeplab_test_${process.pid}_${Date.now().toString(36)}_${schemas.length}`;
      await admin.query(`CREATE SCHEMA ${schema}`);
      schemas.push(schema);
      const url = new URL(baseUrl);
      url.searchParams.set('options', `-c search_path=${schema}`);
      return url.toString();
    },
    async cleanup() {
      for (const schema of schemas) await admin.query(`DROP SCHEMA ${schema} CASCADE`);
      await admin.end();
    },
  };
}

/** Metrics with every value null except those given (final_equity defaults to 10,000 as for a run that traded nothing). */
export function metrics(values: Partial<Metrics> = {}): Metrics {
  return { ...(Object.fromEntries(METRIC_NAMES.map((m) => [m, null])) as Metrics), final_equity: 10_000, ...values };
}

export function done(sweepId: string, idx: number, params: OperationRecord['params'], values: Partial<Metrics> = {}): OperationRecord {
  return { sweep_id: sweepId, idx, hash: `${sweepId}-h${idx}`, params, status: 'done', error: null, metrics: metrics(values), duration_ms: 12.5, blocks: null };
}

export function failed(sweepId: string, idx: number, params: OperationRecord['params'], error = 'engine failed'): OperationRecord {
  return { sweep_id: sweepId, idx, hash: `${sweepId}-h${idx}`, params, status: 'failed', error, metrics: null, duration_ms: 3, blocks: null };
}

/** A small but complete result; values with many digits check that floats survive the round trip. */
export function sampleResult(seed: number): BacktestResult {
  const t = [1_700_000_000_000, 1_700_086_400_000, 1_700_172_800_000];
  const equity = [10_000, 10_050.1 + seed, 9_990.123456789012 + seed];
  return {
    metrics: metrics({ final_equity: 10_123.456789012345 + seed, total_return: 0.012345678901234, sharpe_ratio: 1.2345678901234567, total_trades: 1 }),
    equity: { t, v: equity },
    // The engine's drawdown is a function of equity; the store relies on that and recomputes it.
    drawdown: { t, v: drawdownCurve(equity) },
    trades: [
      {
        direction: 'long',
        entry_time: '2023-11-14T22:13:20.000Z',
        exit_time: '2023-11-16T22:13:20.000Z',
        entry_price: 101.25,
        exit_price: 103.5,
        sl: 99,
        tp: null,
        size: 49,
        pnl: 110.25 + seed,
        return_pct: 0.0222,
        exit_reason: 'signal',
        entry_bar: 0,
        exit_bar: 2,
      },
    ],
    open_trade: { direction: 'short', entry_time: '2023-11-16T22:13:20.000Z', entry_price: 103.5, sl: null, tp: 90, size: 1.5, pnl: -2, return_pct: -0.01, entry_bar: 2 },
    bars: 3,
    start: '2023-11-14T22:13:20.000Z',
    end: '2023-11-16T22:13:20.000Z',
  };
}

/** A full result as the store kept it before migration 3 (one compressed blob per hash), for reading it back. */
export async function saveLegacyResult(store: Store, hash: string, result: BacktestResult, operationYaml = `hash: ${hash}\n`): Promise<void> {
  await (store as SqlStore).db
    .insertInto('results')
    .values({ hash, operation_yaml: operationYaml, result: Buffer.from(encodeResult(result)), created_at: new Date().toISOString() })
    .execute();
}
