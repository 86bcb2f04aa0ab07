import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { FullResults, operationYaml } from '../../src/activities/full-results.js';
import { runMaterializedOperation } from '../../src/activities/run-operation.js';
import { operationHash } from '../../src/config/hash.js';
import { loadOptimizationFile } from '../../src/config/load.js';
import { operationAt } from '../../src/config/operation-at.js';
import { optimizationSpec, paramNames } from '../../src/config/sweep.js';
import { dumpYaml } from '../../src/config/yaml.js';
import { blockReturns } from '../../src/engine/block-returns.js';
import { METRIC_NAMES } from '../../src/engine/result.js';
import { openStore } from '../../src/store/index.js';
import { migrate } from '../../src/store/migrations.js';
import { decodeResult, encodeResult } from '../../src/store/result-codec.js';
import type { SqlStore } from '../../src/store/store.js';

const repoRoot = path.resolve(import.meta.dirname, '../..');

/*
 * A store as migration 1 left it, written the way sweeplab wrote it then (an operations row per
 * operation, and per hash the operation's YAML and its full result, compressed), upgraded by the
 * current code: every metric and every result must still be there.
 */
test('a store written by the migration 1 schema upgrades with every metric and full result readable', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sweeplab-migrate-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const url = `sqlite:${path.join(dir, 'store.db')}`;
  const spec = optimizationSpec(loadOptimizationFile(path.join(repoRoot, 'examples/optimization.yaml'), { dataRoot: repoRoot }));
  const sweepId = 'opt-from-v1';
  // Admissible combinations (fast < slow) from all over the grid.
  const indices = [0, 7, 31, 64, 150, 299, 401, 599];
  const runs = indices.map((idx) => {
    const { op, params } = operationAt(spec, idx);
    return { idx, params, op, hash: operationHash(op), result: runMaterializedOperation(op, { dataRoot: repoRoot, file: 'v1' }) };
  });

  const old = (await openStore({ url })) as SqlStore;
  await migrate(old.db, 'sqlite', 1);
  await old.createSweep({ id: sweepId, kind: 'optimization', name: spec.name, total: runs.length, primary_metric: spec.primary_metric, spec, param_names: paramNames(spec) });
  const now = new Date().toISOString();
  for (const run of runs) {
    await old.db
      .insertInto('operations')
      .values({
        sweep_id: sweepId,
        idx: run.idx,
        hash: run.hash,
        params: JSON.stringify(run.params),
        status: 'done',
        error: null,
        duration_ms: 1.5,
        created_at: now,
        ...Object.fromEntries(METRIC_NAMES.map((m) => [m, run.result.metrics[m]])),
      } as never)
      .execute();
    await old.db.insertInto('results').values({ hash: run.hash, operation_yaml: dumpYaml(run.op), result: Buffer.from(encodeResult(run.result)), created_at: now }).execute();
  }
  await old.close();

  const store = await openStore({ url });
  t.after(() => store.close());
  await store.migrate();

  const { rows, total } = await store.queryResults(sweepId, { sort: 'idx', order: 'asc' });
  assert.equal(total, runs.length);
  rows.forEach((row, i) => {
    assert.equal(row.hash, runs[i]!.hash);
    assert.deepEqual(row.params, runs[i]!.params);
    assert.deepEqual(row.metrics, runs[i]!.result.metrics, `every metric of #${row.idx} reads back`);
  });

  // Old results are served as stored: equal, bit for bit, to what the engine gives today.
  const served = await new FullResults(store, repoRoot).of(sweepId, runs.map((r) => r.hash));
  assert.equal(served.length, runs.length);
  served.forEach((s, i) => assert.deepStrictEqual(s.result, decodeResult(encodeResult(runs[i]!.result)), `#${s.idx} is served from its stored result`));
  served.forEach((s, i) => assert.deepStrictEqual(s.result, runs[i]!.result, `#${s.idx}: the stored result is what a recomputation gives`));

  // Their block returns are computed from the stored curves; the YAML is derived as it was stored.
  const blocks = await store.blockReturns(sweepId);
  blocks.forEach((row, i) => assert.deepEqual(row.blocks, blockReturns(runs[i]!.result.equity.v, 16)));
  assert.equal(await operationYaml(store, runs[2]!.hash), dumpYaml(runs[2]!.op));
  // And a sweep run since finds them for reuse.
  assert.deepEqual((await store.findDone([runs[0]!.hash])).get(runs[0]!.hash)?.metrics, runs[0]!.result.metrics);
});
