import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { sql } from 'kysely';
import { FullResults, operationYaml } from '../../src/services/full-results.js';
import { runMaterializedOperation } from '../../src/services/run-operation.js';
import { operationHash } from '../../src/config/hash.js';
import { loadOptimizationFile } from '../../src/intake/load.js';
import { operationAt } from '../../src/config/operation-at.js';
import { optimizationSpec, paramNames } from '../../src/config/sweep.js';
import { dumpYaml } from '../../src/intake/yaml.js';
import { blockReturns } from '../../src/engine/block-returns.js';
import { METRIC_NAMES, type Metrics } from '../../src/engine/result.js';
import { encodeBlocks } from '../../src/store/blocks-codec.js';
import { openStore, type Store } from '../../src/store/index.js';
import { migrate } from '../../src/store/migrations.js';
import { paramKeys } from '../../src/store/param-sql.js';
import { decodeResult, encodeResult } from '../../src/store/result-codec.js';
import type { SqlStore } from '../../src/store/store.js';
import { done, exampleSpecs, failed, metrics, postgresDatabases, sqliteDatabases, type TestDatabases } from './fixtures.js';

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
  const now = new Date().toISOString();
  await old.db
    .insertInto('sweeps')
    .values({ id: sweepId, kind: 'optimization', name: spec.name, status: 'completed', total: runs.length, completed: runs.length, failed: 0, primary_metric: spec.primary_metric, spec: JSON.stringify(spec), param_names: JSON.stringify(paramNames(spec)), created_at: now, updated_at: now })
    .execute();
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

  // Migration 6 fills the typed parameter columns of old rows: a parameter sort through them
  // orders as the JSON did (numbers ascending, ties by idx).
  const label = paramNames(spec)[1]!;
  const byParam = [...runs].sort((a, b) => Number(a.params[label]) - Number(b.params[label]) || a.idx - b.idx).map((r) => r.idx);
  assert.notDeepEqual(byParam, indices, 'the sort differs from idx order');
  assert.deepEqual((await store.queryResults(sweepId, { sort: label })).rows.map((r) => r.idx), byParam);
  assert.deepEqual((await store.queryResults(sweepId, { sort: label, offset: 3, limit: 2 })).rows.map((r) => r.idx), byParam.slice(3, 5));

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
  const [reused] = await store.copyDone('since', [{ idx: 0, hash: runs[0]!.hash, params: {} }], 'sharpe_ratio');
  assert.equal(reused?.value, runs[0]!.result.metrics.sharpe_ratio);
  assert.deepEqual((await store.queryResults('since', {})).rows[0]?.metrics, runs[0]!.result.metrics);
});

/*
 * Sweeps stored by the code of migration 1's time: their specs carry no spec_version, and predate
 * plugin bundles (plugin_bundle), the robustness settings (blocks) and the per-operation time limit
 * (parallel.max_operation_seconds). Read back through the current store, they decode as version 1
 * with those fields at the values that code ran with.
 */
test('specs stored before spec_version, plugin bundles and robustness settings read back as version 1 with their defaults', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sweeplab-migrate-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const url = `sqlite:${path.join(dir, 'store.db')}`;
  const { optimization, variant_test } = exampleSpecs();
  const asThen = <S extends typeof optimization | typeof variant_test>(spec: S) => {
    const { plugin_bundle: _bundle, parallel: { max_operation_seconds: _limit, ...parallel }, ...rest } = spec;
    const { blocks: _blocks, ...then } = rest as typeof rest & { blocks?: number };
    return { ...then, parallel };
  };

  const old = (await openStore({ url })) as SqlStore;
  await migrate(old.db, 'sqlite', 1);
  const now = new Date().toISOString();
  for (const spec of [optimization, variant_test]) {
    await old.db
      .insertInto('sweeps')
      .values({ id: spec.kind, kind: spec.kind, name: spec.name, status: 'completed', total: 0, completed: 0, failed: 0, primary_metric: spec.primary_metric, spec: JSON.stringify(asThen(spec)), param_names: JSON.stringify(paramNames(spec)), created_at: now, updated_at: now })
      .execute();
  }
  await old.close();

  const store = await openStore({ url });
  t.after(() => store.close());
  await store.migrate();
  assert.equal(optimization.blocks, 16);
  assert.equal(optimization.plugin_bundle, null);
  assert.equal(optimization.parallel.max_operation_seconds, 60);
  assert.deepEqual((await store.getSweep('optimization'))?.spec, optimization);
  assert.deepEqual((await store.getSweep('variant_test'))?.spec, variant_test);
});

/*
 * A store as migration 6 left it: operations keyed by (sweep_id, hash) with created_at, an index by
 * (sweep_id, idx), a metric index and a parameter index, and rows as sweeplab wrote them then,
 * including two rows at one (sweep_id, idx) from a sweep id that was once reused (two done rows; a
 * failed row and a later done one). Migration 7 keys rows by (sweep, idx) and must keep every result.
 */
function fromMigration6(databases: TestDatabases): void {
  after(() => databases.cleanup());

  test('a store at migration 6 upgrades to rows keyed by (sweep, idx) with every result, index and answer kept', async (t) => {
    const url = await databases.fresh();
    const dialect = databases.dialect;
    const names = ['fast', 'slow', 'mode'];
    const blocks = (k: number) => Buffer.from(encodeBlocks(blockReturns(Array.from({ length: 30 }, (_, i) => 10_000 * (1 + 0.003 * k * Math.cos(i))), 16)));
    type Row = { sweep_id: string; idx: number; hash: string; params: Record<string, number | string>; status: 'done' | 'failed'; error: string | null; metrics: Metrics | null; blocks: Buffer | null; duration_ms: number; created_at: string };
    const at = (ms: number) => new Date(Date.UTC(2026, 0, 1) + ms).toISOString();
    const ok = (idx: number, hash: string, params: Row['params'], k: number, written = k): Row => ({
      sweep_id: 'opt6',
      idx,
      hash,
      params,
      status: 'done',
      error: null,
      metrics: metrics({ sharpe_ratio: k === 5 ? null : (k * 0.7310585786300049) % 2.3, total_return: k / 3, final_equity: 10_000 + k / 7, total_trades: k }),
      blocks: k % 4 === 3 ? null : blocks(k),
      duration_ms: 1.25 * k,
      created_at: at(written),
    });
    const rows: Row[] = [
      ok(0, 'h0', { fast: 10, slow: 50, mode: 'b' }, 0),
      ok(1, 'h1', { fast: 5, slow: 50, mode: 'a' }, 1),
      ok(2, 'h2', { fast: 20, slow: 20, mode: 'b' }, 2),
      ok(3, 'h3', { fast: 5, slow: 20, mode: 'a' }, 3),
      // A second sweep under the id "opt6", later: its idx 3 is another operation.
      ok(3, 'h3-later', { fast: 7, slow: 70, mode: 'c' }, 9, 100),
      { ...ok(4, 'h4-failed', { fast: 10, slow: 20, mode: 'a' }, 4), status: 'failed', error: 'engine failed', metrics: null, blocks: null },
      ok(4, 'h4', { fast: 10, slow: 20, mode: 'a' }, 4, 50),
      ok(5, 'h5', { fast: 1.5, slow: 20, mode: 'b' }, 5),
      { ...ok(6, 'h6', { slow: 20, mode: 'c' }, 6), status: 'failed', error: 'no data', metrics: null, blocks: null },
      ok(7, 'h7', { fast: 20, slow: 50, mode: 'a' }, 7),
      // Another sweep that reused h1.
      { ...ok(0, 'h1', { fast: 5, slow: 50, mode: 'a' }, 1, 200), sweep_id: 'other6', duration_ms: 0 },
    ];
    const kept = rows.filter((r) => r.sweep_id === 'opt6' && r.hash !== 'h3-later' && r.hash !== 'h4-failed');

    const old = (await openStore({ url })) as SqlStore;
    await migrate(old.db, dialect, 6);
    for (const [id, created] of [['opt6', 0], ['other6', 150]] as const) {
      await old.db
        .insertInto('sweeps')
        .values({ id, kind: 'optimization', name: id, status: 'completed', total: 8, completed: 0, failed: 0, primary_metric: 'sharpe_ratio', spec: '{}', param_names: JSON.stringify(names), created_at: at(created), updated_at: at(created) })
        .execute();
    }
    for (const { metrics: values, params, ...row } of rows) {
      const axes = Object.fromEntries(names.flatMap((name, k) => Object.entries(paramKeys(params[name])).map(([key, value]) => [`p${k}_${key}`, value])));
      await old.db
        .insertInto('operations')
        .values({ ...row, params: JSON.stringify(params), ...Object.fromEntries(METRIC_NAMES.map((m) => [m, values?.[m] ?? null])), ...axes } as never)
        .execute();
    }
    // The indexes migration 6 made: one for the primary metric, one for a sort by `fast`.
    await old.db.schema.createIndex('operations_by_sharpe_ratio').on('operations').columns(['sweep_id', 'sharpe_ratio', 'idx']).execute();
    await old.db.schema.createIndex('operations_by_p0_num').on('operations').columns(['sweep_id', 'p0_num', 'idx']).where(sql.ref('p0_num'), 'is not', null).execute();
    await old.close();

    const store = (await openStore({ url })) as SqlStore;
    t.after(() => store.close());
    await store.migrate();

    // The indexes it had, on the new key; the two it replaced are gone, and so is created_at.
    const { rows: indexes } =
      dialect === 'postgres'
        ? await sql<{ name: string }>`SELECT indexname AS name FROM pg_indexes WHERE schemaname = current_schema() AND tablename = 'operations'`.execute(store.db)
        : await sql<{ name: string }>`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'operations'`.execute(store.db);
    assert.deepEqual(indexes.map((r) => r.name).sort(), ['operations_by_hash', 'operations_by_p0_num', 'operations_by_sharpe_ratio', 'operations_key']);
    await assert.rejects(sql`SELECT created_at FROM operations`.execute(store.db));

    const { rows: read, total } = await store.queryResults('opt6', { sort: 'idx' });
    assert.equal(total, kept.length, 'one row per idx');
    assert.deepEqual(
      read,
      kept.map((r) => ({ idx: r.idx, hash: r.hash, params: r.params, status: r.status, error: r.error, metrics: r.metrics, code: null })),
      'the done row of idx 4, the first-written row of idx 3, every metric as stored',
    );
    const stored = await store.db
      .selectFrom('operations as o')
      .innerJoin('sweep_keys as k', 'k.sweep_key', 'o.sweep_key')
      .select(['o.idx', 'o.blocks', 'o.duration_ms'])
      .where('k.sweep_id', '=', 'opt6')
      .orderBy('o.idx')
      .execute();
    assert.deepEqual(
      stored.map((r) => [Number(r.idx), r.blocks === null ? null : Buffer.from(r.blocks), r.duration_ms]),
      kept.map((r) => [r.idx, r.blocks, r.duration_ms]),
      'block returns byte for byte',
    );

    // Sorts and filters answer as they did: computed here from the rows kept.
    const order = (key: (r: Row) => number | string | null | undefined, dir: 1 | -1) =>
      [...kept].sort((a, b) => {
        const [x, y] = [key(a), key(b)];
        if (x === y || (x == null && y == null)) return a.idx - b.idx;
        if (x == null) return 1;
        if (y == null) return -1;
        return (x < y ? -dir : dir) || a.idx - b.idx;
      }).map((r) => r.idx);
    const idxOf = async (query: Parameters<Store['queryResults']>[1]) => (await store.queryResults('opt6', query)).rows.map((r) => r.idx);
    assert.deepEqual(await idxOf({ sort: 'sharpe_ratio' }), order((r) => r.metrics?.sharpe_ratio, -1));
    assert.deepEqual(await idxOf({ sort: 'sharpe_ratio', order: 'asc', offset: 2, limit: 3 }), order((r) => r.metrics?.sharpe_ratio, 1).slice(2, 5));
    assert.deepEqual(await idxOf({ sort: 'fast' }), order((r) => r.params.fast as number | undefined, 1));
    assert.deepEqual(await idxOf({ sort: 'mode', order: 'desc' }), order((r) => r.params.mode, -1));
    assert.deepEqual(await idxOf({ filter: [{ field: 'mode', op: '=', value: 'a' }, { field: 'total_trades', op: '>=', value: 3 }] }), [3, 4, 7]);
    assert.deepEqual(await idxOf({ filter: [{ field: 'fast', op: '<', value: 10 }] }), [1, 3, 5]);
    assert.deepEqual(await store.refreshSweepCounts('opt6'), { completed: 7, failed: 1 });
    assert.deepEqual(await store.locateOperation('h1'), { sweep_id: 'opt6', idx: 1 }, 'the older sweep first');
    await store.copyDone('since', [{ idx: 0, hash: 'h4', params: {} }], 'sharpe_ratio');
    assert.deepEqual((await store.queryResults('since', {})).rows[0]?.metrics, kept.find((r) => r.hash === 'h4')!.metrics);

    // Writing goes on with the new key: a done row is final, a failed one replaced.
    await store.recordOperations([
      { ...done('opt6', 6, { slow: 20, mode: 'c' }, { sharpe_ratio: 3 }), hash: 'h6' },
      { ...done('opt6', 7, { fast: 20, slow: 50, mode: 'a' }, { sharpe_ratio: 99 }), hash: 'h7' },
    ]);
    assert.deepEqual((await store.queryResults('opt6', { sort: 'sharpe_ratio', limit: 1 })).rows.map((r) => [r.idx, r.status]), [[6, 'done']]);
    assert.deepEqual(await store.refreshSweepCounts('opt6'), { completed: 8, failed: 0 });
  });
}

describe('migration 7 on sqlite', () => fromMigration6(sqliteDatabases()));

const postgresUrl = process.env.SWEEPLAB_TEST_DATABASE_URL;
describe('migration 7 on postgres', { skip: postgresUrl ? false : 'set SWEEPLAB_TEST_DATABASE_URL to run' }, () => {
  if (postgresUrl) fromMigration6(postgresDatabases(postgresUrl));
});

/*
 * A store as migration 7 left it, upgraded by migration 8: its rows name no code (null), rows written
 * since name the code version of the store that wrote them, a copy names the code that computed the
 * original, and a sweep carried on by code of another results version keeps only rows of its own.
 */
function fromMigration7(databases: TestDatabases): void {
  after(() => databases.cleanup());

  test('a store at migration 7 upgrades to rows that name the code version that computed them', async (t) => {
    const url = await databases.fresh();
    const old = (await openStore({ url })) as SqlStore;
    await migrate(old.db, databases.dialect, 7);
    await old.db.insertInto('sweep_keys').values({ sweep_id: 'opt7' }).execute();
    const { sweep_key } = await old.db.selectFrom('sweep_keys').select('sweep_key').where('sweep_id', '=', 'opt7').executeTakeFirstOrThrow();
    const { sweep_id: _sweep, metrics: values, params, ...row } = done('opt7', 0, { fast: 5 }, { sharpe_ratio: 1.5 });
    await old.db
      .insertInto('operations')
      .values({ ...row, sweep_key, params: JSON.stringify(params), ...Object.fromEntries(METRIC_NAMES.map((m) => [m, values?.[m] ?? null])) } as never)
      .execute();
    await old.close();

    const v1 = { results_version: 1, package_version: '0.1.0', build_id: '0.1.0+r1+aaaaaaaaaaaa' };
    const v1b = { ...v1, build_id: '0.1.0+r1+bbbbbbbbbbbb' };
    const v2 = { results_version: 2, package_version: '0.2.0', build_id: '0.2.0+r2+cccccccccccc' };
    const [a, b, c] = await Promise.all([openStore({ url, code: v1 }), openStore({ url, code: v1b }), openStore({ url, code: v2 })]);
    t.after(() => Promise.all([a.close(), b.close(), c.close()]));
    await a.migrate();
    for (const store of [b, c]) await store.migrate();

    await a.recordOperations([done('opt7', 1, { fast: 10 }, { sharpe_ratio: 2 })]);
    await b.recordOperations([done('opt7', 2, { fast: 15 }, { sharpe_ratio: 3 })]);
    await c.recordOperations([failed('opt7', 3, { fast: 20 })]);
    // Build b copies the row that build a computed: the copy names a.
    await b.copyDone('since', [{ idx: 0, hash: 'opt7-h1', params: { fast: 10 } }], 'sharpe_ratio');

    const codes = async (store: Store, id: string) => (await store.queryResults(id, { sort: 'idx' })).rows.map((r) => [r.idx, r.code]);
    assert.deepEqual(await codes(c, 'opt7'), [[0, null], [1, v1], [2, v1b], [3, v2]], 'null for the row from before migration 8');
    assert.deepEqual(await codes(c, 'since'), [[0, v1]]);
    assert.deepEqual(await a.codeVersionCounts('opt7'), [
      { code: null, done: 1, failed: 0 },
      { code: v1, done: 1, failed: 0 },
      { code: v1b, done: 1, failed: 0 },
      { code: v2, done: 0, failed: 1 },
    ]);

    // Results version 1 carries the sweep on: the unknown row and the version-2 row go, both builds' rows stay.
    assert.equal(await b.dropOtherResultsVersions('opt7'), 2);
    assert.deepEqual(await codes(c, 'opt7'), [[1, v1], [2, v1b]]);
    assert.deepEqual([...(await b.doneIndices('opt7', 0, 10))].sort(), [1, 2]);
  });
}

describe('migration 8 on sqlite', () => fromMigration7(sqliteDatabases()));

describe('migration 8 on postgres', { skip: postgresUrl ? false : 'set SWEEPLAB_TEST_DATABASE_URL to run' }, () => {
  if (postgresUrl) fromMigration7(postgresDatabases(postgresUrl));
});
