import assert from 'node:assert/strict';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { computeSweepStatistics } from '../../src/services/statistics.js';
import { runMaterializedOperation } from '../../src/services/run-operation.js';
import { compileWhere } from '../../src/config/expression.js';
import { comboAt } from '../../src/config/grid.js';
import { operationHash } from '../../src/config/hash.js';
import { loadOptimizationFile, loadVariantFile } from '../../src/intake/load.js';
import { operationAt } from '../../src/config/operation-at.js';
import { blockReturns } from '../../src/engine/block-returns.js';
import { encodeBlocks } from '../../src/store/blocks-codec.js';
import { optimizationSpec, variantTestSpec, type OptimizationSpec, type SweepSpec } from '../../src/config/sweep.js';
import { openStore, type OperationRecord, type Store } from '../../src/store/index.js';
import { sqliteDatabases } from '../store/fixtures.js';

/*
 * The statistics of a real (small) optimization, gathered from a real SQLite store: the operations
 * are run with the engine and stored as a sweep would store them, one recorded as failed (the
 * failure the DSR must count as a trial). Figures are checked against what the test computes from
 * the stored rows and its own runs of the best operation.
 */

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const dataRoot = path.join(repoRoot, 'examples');
const databases = sqliteDatabases();
after(() => databases.cleanup());

/** The example grid cut to fast 5..30 × slow 20, 50, 100 and one exit setting: 18 combinations, 15 with fast < slow. */
function smallSpec(): OptimizationSpec {
  const loaded = optimizationSpec(loadOptimizationFile(path.join(dataRoot, 'optimization.yaml'), { dataRoot }));
  const axes = loaded.grid.axes.map((a) =>
    a.label === 'fast' ? { ...a, values: [5, 10, 15, 20, 25, 30] } : a.label === 'slow' ? { ...a, values: [20, 50, 100] } : { ...a, values: [a.values[1]!] },
  );
  const grid = { axes, size: axes.reduce((p, a) => p * a.values.length, 1) };
  const where = compileWhere(loaded.where!, grid, loaded.file, 'where');
  const admissible = Array.from({ length: grid.size }, (_, i) => i).filter((i) => where(comboAt(grid, i))).length;
  return { ...loaded, grid, admissible, min_trades: 1 };
}

/**
 * Stores the sweep's operations as runOperations would: `failIdx` recorded as failed, `bareIdx` done
 * but without block returns (as a row from before the store kept them).
 */
async function storedSweep(id: string, spec: SweepSpec, failIdx: number | null, bareIdx: number | null = null): Promise<{ store: Store; records: OperationRecord[] }> {
  const store = await openStore({ url: await databases.fresh() });
  await store.migrate();
  await store.createSweep({ id, kind: spec.kind, name: spec.name, total: 0, primary_metric: spec.primary_metric, spec, param_names: [] });
  const records: OperationRecord[] = [];
  const count = spec.kind === 'optimization' ? spec.grid.size : spec.variants.length;
  const where = spec.kind === 'optimization' && spec.where ? compileWhere(spec.where, spec.grid, spec.file, 'where') : null;
  for (let idx = 0; idx < count; idx++) {
    const { op, params } = operationAt(spec, idx);
    if (where && spec.kind === 'optimization' && !where(comboAt(spec.grid, idx))) continue;
    const hash = operationHash(op);
    if (idx === failIdx) {
      records.push({ sweep_id: id, idx, hash, params, status: 'failed', error: 'injected failure', metrics: null, duration_ms: 0, blocks: null });
      continue;
    }
    const result = runMaterializedOperation(op, { dataRoot, file: spec.file });
    const blocks = idx === bareIdx ? null : encodeBlocks(blockReturns(result.equity.v, 16));
    records.push({ sweep_id: id, idx, hash, params, status: 'done', error: null, metrics: result.metrics, duration_ms: 1, blocks });
  }
  await store.recordOperations(records);
  await store.setSweepStatus(id, 'completed');
  return { store, records };
}

describe('robustness statistics of a stored optimization', () => {
  test('count every run operation as a trial, pick the ranked best, and agree with its own recomputation', async () => {
    const spec = smallSpec();
    const { store, records } = await storedSweep('opt-stats', spec, 1, 2);
    try {
      const s = await computeSweepStatistics({ store, dataRoot }, 'opt-stats');
      assert.equal(s.partial, false);
      assert.equal(s.blocks_recomputed, 1, 'the row stored without block returns was recomputed, the rest read');
      const ranked = records.filter((r) => r.status === 'done' && (r.metrics!.total_trades ?? 0) >= 1 && r.metrics!.sharpe_ratio !== null);
      const best = ranked.reduce((a, b) => (b.metrics!.sharpe_ratio! > a.metrics!.sharpe_ratio! ? b : a));
      assert.equal(s.best?.idx, best.idx);

      assert.ok(!('reason' in s.dsr), JSON.stringify(s.dsr));
      assert.equal(s.dsr.trials, records.length, 'the failed operation counts as a trial');
      assert.equal(records.filter((r) => r.status === 'failed').length, 1);

      // Per-bar Sharpe × √P is the stored (annualised) metric, P = (n − 1) / years of the curve.
      const result = runMaterializedOperation(operationAt(spec, best.idx).op, { dataRoot, file: spec.file });
      const t = result.equity.t;
      const years = (t[t.length - 1]! - t[0]!) / (365.25 * 86_400_000);
      const P = (t.length - 1) / years;
      assert.ok(Math.abs(s.dsr.sharpe * Math.sqrt(P) - best.metrics!.sharpe_ratio!) < 1e-9, `${s.dsr.sharpe * Math.sqrt(P)} vs ${best.metrics!.sharpe_ratio}`);
      assert.equal(s.dsr.returns, t.length - 1);

      assert.ok(!('reason' in s.pbo), JSON.stringify(s.pbo));
      assert.equal(s.pbo.operations, records.filter((r) => r.status === 'done' && (r.metrics!.total_trades ?? 0) >= 1).length);
      assert.equal(s.pbo.blocks, 16);
      assert.equal(s.pbo.evaluated, 12_870);

      const byIdx = new Map(records.map((r) => [r.idx, r]));
      const top = s.neighbourhood[0]!;
      assert.equal(top.idx, best.idx);
      for (const n of top.neighbours) {
        const r = byIdx.get(n.idx)!;
        const expected = r.status === 'done' && (r.metrics!.total_trades ?? 0) >= 1 ? r.metrics!.sharpe_ratio : null;
        assert.equal(n.value, expected, `neighbour ${n.idx}`);
      }

      assert.ok(!('reason' in s.monte_carlo), JSON.stringify(s.monte_carlo));
      assert.equal(s.monte_carlo.trades, result.trades.length);
      // One position at a time and flat between trades: compounding pnl / equity-before-entry
      // telescopes to the initial capital plus every trade's pnl.
      const closed = 10_000 + result.trades.reduce((sum, tr) => sum + tr.pnl, 0);
      assert.ok(Math.abs(s.monte_carlo.actual.final_equity - closed) < 1e-6, `${s.monte_carlo.actual.final_equity} vs ${closed}`);
      assert.equal(s.readings.length, 4);
      assert.match(s.readings[0]!, /^PBO \d\.\d\d: /);

      await store.saveStatistics(s);
      assert.deepEqual(await store.getStatistics('opt-stats'), s);
      await store.saveStatistics({ ...s, computed_at: '2030-01-01T00:00:00.000Z' });
      assert.equal((await store.getStatistics('opt-stats'))?.computed_at, '2030-01-01T00:00:00.000Z', 'a second computation replaces the first');
    } finally {
      await store.close();
    }
  });

  test('a sweep in which no operation traded has nothing to judge: no PBO, DSR or Monte Carlo, and the readings say so', async () => {
    // 200 bars: the blueprint's trend filter (SMA 200) first speaks on the last bar, too late for
    // an entry at the next open, so not one operation trades; with min_trades 0 each is a candidate.
    const base = smallSpec();
    const spec = { ...base, min_trades: 0, base: { ...base.base, environment: { ...base.base.environment, start: '2014-01-01', end: '2014-10-07' } } };
    const { store, records } = await storedSweep('opt-idle', spec, null);
    try {
      assert.ok(records.every((r) => r.metrics!.total_trades === 0), 'the fixture trades nowhere');
      const s = await computeSweepStatistics({ store, dataRoot }, 'opt-idle');
      assert.equal(s.best, null);
      assert.deepEqual(s.pbo, { reason: 'no operation traded: nothing to judge' }, 'flat curves all tie, which CSCV would call overfit (PBO 1.00)');
      assert.deepEqual(s.dsr, { reason: 'no operation traded: nothing to judge' });
      assert.deepEqual(s.monte_carlo, { reason: 'no operation traded: nothing to judge' });
      assert.equal(s.readings[0], 'PBO not computed: no operation traded: nothing to judge');
    } finally {
      await store.close();
    }
  });

  test('a variant test is a conflict and an unknown sweep is not found, each naming the sweep', async () => {
    const variant = variantTestSpec(loadVariantFile(path.join(dataRoot, 'variant.yaml'), { dataRoot }));
    const { store } = await storedSweep('var-stats', { ...variant, variants: variant.variants.slice(0, 1) }, null);
    try {
      await assert.rejects(computeSweepStatistics({ store, dataRoot }, 'var-stats'), (e: Error) => e.name === 'ConflictError' && /for optimizations/.test(e.message));
      await assert.rejects(computeSweepStatistics({ store, dataRoot }, 'nope'), (e: Error) => e.name === 'NotFoundError' && /nope/.test(e.message));
      assert.equal(await store.getStatistics('nope'), null);
    } finally {
      await store.close();
    }
  });
});

