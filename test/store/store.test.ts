import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, describe, test, type TestContext } from 'node:test';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { sql, type CompiledQuery } from 'kysely';
import { codeVersion } from '../../src/code-version.js';
import { isConfigError } from '../../src/config/errors.js';
import { connect, parseStoreUrl } from '../../src/store/connect.js';
import { openStore, type NewSweep, type Store } from '../../src/store/index.js';
import { SqlStore } from '../../src/store/store.js';
import { blockReturns } from '../../src/engine/block-returns.js';
import { METRIC_NAMES } from '../../src/engine/result.js';
import { encodeBlocks } from '../../src/store/blocks-codec.js';
import { done, exampleSpecs, failed, metrics, postgresDatabases, sampleResult, saveLegacyResult, sqliteDatabases, type TestDatabases } from './fixtures.js';

/*
 * One contract suite, run on SQLite always and on PostgreSQL when SWEEPLAB_TEST_DATABASE_URL is
 * set (e.g. postgresql://postgres@127.0.0.1:5432/test; each test gets a schema of its own).
 */

const run = promisify(execFile);
const childWriter = fileURLToPath(new URL('./child-writer.ts', import.meta.url));

function sweep(id: string, overrides: Partial<NewSweep> = {}): NewSweep {
  return {
    id,
    kind: 'optimization',
    name: `sweep ${id}`,
    total: 6,
    primary_metric: 'sharpe_ratio',
    spec: exampleSpecs()[overrides.kind ?? 'optimization'],
    param_names: ['fast', 'sma_cross.slow', 'variant'],
    ...overrides,
  };
}

/**
 * Six operations of sweep `id` (hand-made so orders can be read off):
 *   idx  fast  sma_cross.slow  variant   status  sharpe_ratio
 *   0    10    20              Baseline  done    1.0
 *   1    5     20              Hoge RR   failed  null
 *   2    20    50              Baseline  done    2.5
 *   3    5     50              Andere    done    1.0
 *   4    10    50              Hoge RR   done    -0.5
 *   5    (none) 20             Baseline  done    null (no trades)
 */
function sixOperations(id: string) {
  return [
    done(id, 0, { fast: 10, 'sma_cross.slow': 20, variant: 'Baseline' }, { sharpe_ratio: 1, total_trades: 4 }),
    failed(id, 1, { fast: 5, 'sma_cross.slow': 20, variant: 'Hoge RR' }),
    done(id, 2, { fast: 20, 'sma_cross.slow': 50, variant: 'Baseline' }, { sharpe_ratio: 2.5, total_trades: 9 }),
    done(id, 3, { fast: 5, 'sma_cross.slow': 50, variant: 'Andere' }, { sharpe_ratio: 1, total_trades: 2 }),
    done(id, 4, { fast: 10, 'sma_cross.slow': 50, variant: 'Hoge RR' }, { sharpe_ratio: -0.5, total_trades: 7 }),
    done(id, 5, { 'sma_cross.slow': 20, variant: 'Baseline' }, { total_trades: 0 }),
  ];
}

function storeSuite(databases: TestDatabases): void {
  after(() => databases.cleanup());

  async function freshStore(t: TestContext): Promise<Store> {
    const store = await openStore({ url: await databases.fresh() });
    t.after(() => store.close());
    await store.migrate();
    return store;
  }

  /** A fresh store holding sweep "s" with the six operations above. */
  async function sixStore(t: TestContext): Promise<Store> {
    const store = await freshStore(t);
    await store.createSweep(sweep('s'));
    await store.recordOperations(sixOperations('s'));
    return store;
  }

  const indices = (result: { rows: Array<{ idx: number }> }) => result.rows.map((r) => r.idx);

  test('migrating twice applies each migration once and keeps the tables usable', async (t) => {
    const store = await freshStore(t);
    await store.migrate();
    const applied = await (store as SqlStore).db.selectFrom('store_migrations').select('version').execute();
    assert.deepEqual(applied.map((r) => Number(r.version)), [1, 2, 3, 4, 5, 6, 7, 8]);
    await store.createSweep(sweep('m'));
    assert.equal((await store.getSweep('m'))?.id, 'm');
  });

  test("a sweep's robustness statistics read back as saved, and a second save replaces the first", async (t) => {
    const store = await freshStore(t);
    await store.createSweep(sweep('st'));
    assert.equal(await store.getStatistics('st'), null);
    const statistics = {
      sweep_id: 'st',
      computed_at: '2026-01-01T00:00:00.000Z',
      partial: true,
      primary_metric: 'sharpe_ratio',
      best: { idx: 2, hash: 'h2', params: { fast: 20 }, value: 2.5 },
      dsr: { reason: 'the best has 3 returns; skewness and kurtosis need at least 4' },
      pbo: { reason: '1 operation(s) with block returns; PBO compares at least 2' },
      neighbourhood: [{ idx: 2, params: { fast: 20 }, value: 2.5, neighbours: [{ idx: 0, axis: 'fast', step: -1, value: null }], mean: null, min: null, max: null, retained: null }],
      monte_carlo: { reason: '1 closed trade(s); reordering needs at least 2' },
      readings: ['PBO not computed: …'],
      elapsed_ms: 12,
      blocks_recomputed: 0,
    };
    await store.saveStatistics(statistics);
    assert.deepEqual(await store.getStatistics('st'), statistics);
    await store.saveStatistics({ ...statistics, partial: false, computed_at: '2026-01-02T00:00:00.000Z' });
    const again = await store.getStatistics('st');
    assert.equal(again?.partial, false);
    assert.equal(again?.computed_at, '2026-01-02T00:00:00.000Z');
  });

  test('a plugin bundle is stored once under its hash and read back as written', async (t) => {
    const store = await freshStore(t);
    const text = '{"format":1,"files":[{"file":"plugins/a.ts","code":"é ✓","map":"{}"}]}';
    await store.savePluginBundle({ hash: 'a'.repeat(64), text });
    await store.savePluginBundle({ hash: 'a'.repeat(64), text: 'a second save of the hash is a no-op' });
    assert.equal(await store.getPluginBundle('a'.repeat(64)), text);
    assert.equal(await store.getPluginBundle('b'.repeat(64)), null);
  });

  test('two stores migrating the same empty database at once both succeed', async (t) => {
    const url = await databases.fresh();
    const [a, b] = [await openStore({ url }), await openStore({ url })];
    t.after(() => Promise.all([a.close(), b.close()]));
    await Promise.all([a.migrate(), b.migrate()]);
    await a.ping();
    assert.deepEqual(await b.listSweeps({}), { rows: [], total: 0 });
  });

  test('a created sweep reads back running, with zero counts and its spec', async (t) => {
    const store = await freshStore(t);
    await store.createSweep(sweep('c'));
    const row = await store.getSweep('c');
    assert.ok(row);
    const { created_at, updated_at, ...rest } = row;
    assert.deepEqual(rest, { ...sweep('c'), status: 'running', completed: 0, failed: 0 });
    assert.equal(created_at, updated_at);
    assert.match(created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  test('a spec of each kind reads back as the current code wrote it, stored with spec_version 1', async (t) => {
    const store = await freshStore(t);
    for (const spec of Object.values(exampleSpecs())) {
      await store.createSweep(sweep(spec.kind, { kind: spec.kind }));
      assert.deepEqual((await store.getSweep(spec.kind))?.spec, spec, spec.kind);
      const stored = await (store as SqlStore).db.selectFrom('sweeps').select('spec').where('id', '=', spec.kind).executeTakeFirstOrThrow();
      assert.equal(JSON.parse(stored.spec).spec_version, 1, spec.kind);
    }
    assert.deepEqual((await store.listSweeps({})).rows.map((r) => [r.kind, r.spec.kind]).sort(), [['optimization', 'optimization'], ['variant_test', 'variant_test'], ['walk_forward', 'walk_forward']]);
  });

  /** A store holding sweep "x" whose stored spec is `spec`, as another version of the code (or a fault) left it. */
  async function storeWithSpec(t: TestContext, spec: unknown): Promise<Store> {
    const store = await freshStore(t);
    await store.createSweep(sweep('x'));
    await (store as SqlStore).db.updateTable('sweeps').set({ spec: JSON.stringify(spec) }).where('id', '=', 'x').execute();
    return store;
  }

  test('a stored spec without spec_version, as written before the field existed, decodes as version 1', async (t) => {
    const { optimization } = exampleSpecs();
    const store = await storeWithSpec(t, optimization);
    assert.deepEqual((await store.getSweep('x'))?.spec, optimization);
  });

  for (const [what, spec, message] of [
    ['a later spec_version', () => ({ ...exampleSpecs().optimization, spec_version: 2 }), 'stored sweep "x": spec.spec_version: is 2, written by a newer sweeplab than this one (which reads up to version 1); upgrade sweeplab to read this sweep'],
    ['a spec of another kind than its row', () => ({ ...exampleSpecs().variant_test, spec_version: 1 }), 'stored sweep "x": spec.kind: is "variant_test", but the sweep is of kind "optimization"'],
    ['a spec missing a field', () => ({ ...exampleSpecs().optimization, grid: { axes: [] } }), 'stored sweep "x": spec.grid.size: is required (number)'],
  ] as const) {
    test(`reading a sweep whose stored spec has ${what} fails naming the sweep and the field`, async (t) => {
      const store = await storeWithSpec(t, spec());
      for (const read of [() => store.getSweep('x'), () => store.listSweeps({})]) {
        await assert.rejects(read(), (error: unknown) => isConfigError(error) && error.message === message);
      }
    });
  }

  test('creating a sweep whose id exists leaves the existing one as it is', async (t) => {
    const store = await freshStore(t);
    await store.createSweep(sweep('dup', { name: 'first', total: 6 }));
    await store.createSweep(sweep('dup', { name: 'second', total: 99 }));
    const row = await store.getSweep('dup');
    assert.equal(row?.name, 'first');
    assert.equal(row?.total, 6);
  });

  test('an unknown sweep reads as null', async (t) => {
    const store = await freshStore(t);
    assert.equal(await store.getSweep('nope'), null);
  });

  test('sweeps list newest first, page with a total and filter by kind and status', async (t) => {
    const store = await freshStore(t);
    // Created in order a, b, c (same-millisecond ties fall back to id descending: the same order).
    await store.createSweep(sweep('a'));
    await store.createSweep(sweep('b', { kind: 'variant_test', param_names: ['variant'] }));
    await store.createSweep(sweep('c'));
    await store.setSweepStatus('c', 'completed');
    const ids = (r: { rows: Array<{ id: string }>; total: number }) => [r.rows.map((s) => s.id), r.total];
    assert.deepEqual(ids(await store.listSweeps({})), [['c', 'b', 'a'], 3]);
    assert.deepEqual(ids(await store.listSweeps({ limit: 2, offset: 1 })), [['b', 'a'], 3]);
    assert.deepEqual(ids(await store.listSweeps({ kind: 'optimization' })), [['c', 'a'], 2]);
    assert.deepEqual(ids(await store.listSweeps({ kind: 'optimization', status: 'running' })), [['a'], 1]);
  });

  test('setting a sweep status stores it and moves updated_at on', async (t) => {
    const store = await freshStore(t);
    await store.createSweep(sweep('st'));
    const before = (await store.getSweep('st'))!;
    await new Promise((resolve) => setTimeout(resolve, 5));
    await store.setSweepStatus('st', 'paused');
    const afterwards = (await store.getSweep('st'))!;
    assert.equal(afterwards.status, 'paused');
    assert.ok(afterwards.updated_at > before.updated_at, `${afterwards.updated_at} should be later than ${before.updated_at}`);
  });

  test('done operations are found by hash in any sweep, with their metrics and block returns; failed ones are not', async (t) => {
    const store = await freshStore(t);
    const blocks = encodeBlocks(blockReturns([100, 101, 99.5, 102, 103.25], 2));
    await store.recordOperations([
      { ...done('a', 0, { fast: 1 }, { sharpe_ratio: 1.25 }), hash: 'h1', blocks },
      { ...failed('b', 0, { fast: 2 }), hash: 'h2' },
    ]);
    const entries = [{ idx: 0, hash: 'h1', params: { fast: 1 } }, { idx: 1, hash: 'h2', params: { fast: 2 } }, { idx: 2, hash: 'missing', params: { fast: 3 } }];
    assert.deepEqual(await store.copyDone('c', entries, 'sharpe_ratio'), [{ idx: 0, hash: 'h1', value: 1.25, total_trades: metrics({}).total_trades }]);
    const [row] = (await store.queryResults('c', {})).rows;
    assert.deepEqual(row?.metrics, metrics({ sharpe_ratio: 1.25 }));
    assert.deepEqual((await store.blockReturns('c'))[0]?.blocks, blockReturns([100, 101, 99.5, 102, 103.25], 2));
    assert.deepEqual(await store.locateOperation('h1'), { sweep_id: 'a', idx: 0 });
    assert.equal(await store.locateOperation('missing'), null);
  });

  test('block returns read back per done operation by idx, exactly as computed', async (t) => {
    const store = await freshStore(t);
    const curve = (k: number) => Array.from({ length: 40 }, (_, i) => 10_000 * (1 + 0.001 * k * Math.sin(i)));
    await store.recordOperations([
      { ...done('s', 2, { fast: 2 }), blocks: encodeBlocks(blockReturns(curve(2), 16)) },
      failed('s', 1, { fast: 1 }),
      { ...done('s', 0, { fast: 0 }), blocks: encodeBlocks(blockReturns(curve(0), 16)) },
    ]);
    const rows = await store.blockReturns('s');
    assert.deepEqual(rows.map((r) => r.idx), [0, 2], 'done rows only, by idx');
    assert.deepEqual(rows[1]!.blocks, blockReturns(curve(2), 16));
    assert.deepEqual((await store.blockReturns('s', { offset: 1 })).map((r) => r.idx), [2]);
  });

  test('recording the same operations twice stores each once', async (t) => {
    const store = await sixStore(t);
    await store.recordOperations(sixOperations('s'));
    const all = await store.queryResults('s', {});
    assert.equal(all.total, 6);
    assert.deepEqual(indices(all), [0, 1, 2, 3, 4, 5]);
  });

  test('a done record replaces a failed one, but a failed record never replaces a done one', async (t) => {
    const store = await sixStore(t);
    // idx 1 failed before and now succeeds; idx 0 succeeded before and now "fails".
    await store.recordOperations([done('s', 1, { fast: 5, 'sma_cross.slow': 20, variant: 'Hoge RR' }, { sharpe_ratio: 0.7 }), failed('s', 0, { fast: 10 }, 'late failure')]);
    const { rows } = await store.queryResults('s', { filter: [{ field: 'idx', op: '<=', value: 1 }] });
    assert.deepEqual(
      rows.map((r) => [r.idx, r.status, r.error, r.metrics?.sharpe_ratio]),
      [
        [0, 'done', null, 1],
        [1, 'done', null, 0.7],
      ],
    );
  });

  test('a second done record of an operation leaves the first as it is', async (t) => {
    const store = await sixStore(t);
    await store.recordOperations([done('s', 0, { fast: 10 }, { sharpe_ratio: 9 })]);
    const { rows } = await store.queryResults('s', { filter: [{ field: 'idx', op: '=', value: 0 }] });
    assert.deepEqual(rows.map((r) => [r.params, r.metrics?.sharpe_ratio]), [[{ fast: 10, 'sma_cross.slow': 20, variant: 'Baseline' }, 1]]);
  });

  test('a batch holding one operation as failed and as done stores it as done', async (t) => {
    const store = await freshStore(t);
    await store.createSweep(sweep('b'));
    await store.recordOperations([failed('b', 0, { fast: 5 }), done('b', 0, { fast: 5 }, { sharpe_ratio: 2 }), failed('b', 0, { fast: 5 })]);
    const { rows, total } = await store.queryResults('b', {});
    assert.equal(total, 1);
    assert.equal(rows[0]!.status, 'done');
  });

  test('two operations of a sweep with one hash keep a row each, found by hash and located at the first', async (t) => {
    const store = await freshStore(t);
    await store.createSweep(sweep('v', { kind: 'variant_test', param_names: ['variant'] }));
    // Two variants with the same content: one operation hash, two indices.
    await store.recordOperations([
      { ...done('v', 0, { variant: 'Baseline' }, { sharpe_ratio: 1.5 }), hash: 'same' },
      { ...done('v', 1, { variant: 'Copy of Baseline' }, { sharpe_ratio: 1.5 }), hash: 'same' },
    ]);
    assert.deepEqual(indices(await store.queryResults('v', {})), [0, 1]);
    assert.deepEqual(await store.refreshSweepCounts('v'), { completed: 2, failed: 0 });
    assert.deepEqual(await store.operationsOf('v', ['same']), [
      { hash: 'same', idx: 0, params: { variant: 'Baseline' } },
      { hash: 'same', idx: 1, params: { variant: 'Copy of Baseline' } },
    ]);
    assert.deepEqual((await store.copyDone('w', [{ idx: 0, hash: 'same', params: { variant: 'Baseline' } }], 'sharpe_ratio')).map((c) => c.hash), ['same']);
    assert.deepEqual(await store.locateOperation('same'), { sweep_id: 'v', idx: 0 });
  });

  test('an operation is located in the sweep created first, whatever the ids', async (t) => {
    const store = await freshStore(t);
    await store.createSweep(sweep('z-older'));
    await new Promise((resolve) => setTimeout(resolve, 5));
    await store.createSweep(sweep('a-newer'));
    // Written into the newer sweep first: the sweep's age decides, not the row's.
    await store.recordOperations([{ ...done('a-newer', 3, { fast: 1 }), hash: 'h' }]);
    await store.recordOperations([{ ...done('z-older', 5, { fast: 1 }), hash: 'h' }]);
    assert.deepEqual(await store.locateOperation('h'), { sweep_id: 'z-older', idx: 5 });
  });

  /** Every column of a sweep's operation rows, by idx, as the database holds them; the key, the sweep's own, left out. */
  async function storedRows(store: Store, sweepId: string) {
    const rows = await (store as SqlStore).db
      .selectFrom('operations as o')
      .innerJoin('sweep_keys as k', 'k.sweep_key', 'o.sweep_key')
      .selectAll('o')
      .where('k.sweep_id', '=', sweepId)
      .orderBy('o.idx')
      .execute();
    return rows.map((row) => ({ ...row, sweep_key: undefined, idx: Number(row.idx), blocks: row.blocks === null ? null : Buffer.from(row.blocks) }));
  }

  const sixParams = (idx: number) => sixOperations('s')[idx]!.params;
  const wellBlocks = (k: number) => encodeBlocks(blockReturns(Array.from({ length: 40 }, (_, i) => 10_000 * (1 + 0.001 * k * Math.sin(i))), 16));

  test('copyDone writes the metrics and block returns of a done row elsewhere, bit for bit, as a done row at the idx given', async (t) => {
    const store = await freshStore(t);
    await store.createSweep(sweep('to'));
    const values = { final_equity: 10_123.456789012345, total_return: -0.000123456789012345, sharpe_ratio: 1.2345678901234567, sqn: 5e-324, total_trades: 12 };
    await store.recordOperations([{ ...done('from', 7, { fast: 3 }, values), hash: 'h-a', blocks: wellBlocks(3) }]);
    const copied = await store.copyDone('to', [{ idx: 2, hash: 'h-a', params: sixParams(2) }], 'sharpe_ratio');
    assert.deepEqual(copied, [{ idx: 2, hash: 'h-a', value: 1.2345678901234567, total_trades: 12 }]);
    const [[row], [from]] = [await storedRows(store, 'to'), await storedRows(store, 'from')];
    const results = (r: NonNullable<typeof row>) => Object.fromEntries(['hash', 'status', 'error', 'blocks', ...METRIC_NAMES].map((column) => [column, r[column as keyof typeof r]]));
    assert.deepEqual([row!.idx, JSON.parse(row!.params), row!.duration_ms], [2, sixParams(2), 0]);
    assert.deepEqual(results(row!), results(from!), 'hash, status, error, every metric and the blocks as stored');
    assert.ok(Buffer.from(wellBlocks(3)).equals(row!.blocks!), 'the blocks byte for byte');
  });

  test('copyDone leaves out entries whose hash has no done row anywhere', async (t) => {
    const store = await freshStore(t);
    await store.recordOperations([{ ...done('from', 0, { fast: 1 }, { sharpe_ratio: 2 }), hash: 'known' }, { ...failed('from', 1, { fast: 2 }), hash: 'only-failed' }]);
    const copied = await store.copyDone('to', [
      { idx: 0, hash: 'unknown', params: { fast: 0 } },
      { idx: 1, hash: 'known', params: { fast: 1 } },
      { idx: 2, hash: 'only-failed', params: { fast: 2 } },
    ], 'sharpe_ratio');
    assert.deepEqual(copied.map((c) => [c.idx, c.hash, c.value]), [[1, 'known', 2]]);
    assert.deepEqual((await storedRows(store, 'to')).map((r) => r.idx), [1], 'nothing written for the others');
  });

  test('copyDone copies a done row with block returns rather than one without', async (t) => {
    const store = await freshStore(t);
    await store.recordOperations([
      { ...done('old', 0, { fast: 1 }, { sharpe_ratio: 1 }), hash: 'h' },
      { ...done('new', 0, { fast: 1 }, { sharpe_ratio: 1 }), hash: 'h', blocks: wellBlocks(1) },
      { ...done('older', 0, { fast: 1 }, { sharpe_ratio: 1 }), hash: 'h' },
    ]);
    await store.copyDone('to', [{ idx: 0, hash: 'h', params: { fast: 1 } }], 'sharpe_ratio');
    assert.ok(Buffer.from(wellBlocks(1)).equals((await storedRows(store, 'to'))[0]!.blocks!));
  });

  test('copyDone again changes nothing and reports the same rows', async (t) => {
    const store = await freshStore(t);
    await store.createSweep(sweep('to'));
    await store.recordOperations([{ ...done('from', 0, { fast: 1 }, { sharpe_ratio: 0.5, total_trades: 3 }), hash: 'h', blocks: wellBlocks(2) }]);
    const entries = [{ idx: 4, hash: 'h', params: sixParams(4) }, { idx: 5, hash: 'none', params: sixParams(5) }];
    const first = await store.copyDone('to', entries, 'sharpe_ratio');
    const rows = await storedRows(store, 'to');
    assert.deepEqual(await store.copyDone('to', entries, 'sharpe_ratio'), first, 'a retried activity counts the rows it copied before');
    assert.deepEqual(first, [{ idx: 4, hash: 'h', value: 0.5, total_trades: 3 }]);
    assert.deepEqual(await storedRows(store, 'to'), rows);
  });

  test('copyDone leaves a done row as it is and replaces a failed one', async (t) => {
    const store = await sixStore(t);
    await store.recordOperations([{ ...done('from', 0, { fast: 1 }, { sharpe_ratio: 9, total_trades: 1 }), hash: 's-h0' }]);
    await store.recordOperations([{ ...done('from', 1, { fast: 1 }, { sharpe_ratio: 8, total_trades: 2 }), hash: 's-h1' }]);
    await store.recordOperations([{ ...done('from', 2, { fast: 1 }, { sharpe_ratio: 7, total_trades: 3 }), hash: 'other' }]);
    const before = await storedRows(store, 's');
    // idx 0 is done with this hash (reported as stored), 1 failed (replaced), 2 done with another hash (left out).
    const copied = await store.copyDone('s', [0, 1, 2].map((idx) => ({ idx, hash: idx === 2 ? 'other' : `s-h${idx}`, params: sixParams(idx) })), 'sharpe_ratio');
    assert.deepEqual(copied, [
      { idx: 0, hash: 's-h0', value: 1, total_trades: 4 },
      { idx: 1, hash: 's-h1', value: 8, total_trades: 2 },
    ]);
    const after = await storedRows(store, 's');
    assert.deepEqual([after[0], after[2]], [before[0], before[2]], 'the done rows are unchanged');
    assert.deepEqual([after[1]!.status, after[1]!.error, after[1]!.sharpe_ratio, after[1]!.hash], ['done', null, 8, 's-h1']);
    assert.deepEqual(await store.refreshSweepCounts('s'), { completed: 6, failed: 0 });
  });

  test('copyDone writes more entries than one statement takes', async (t) => {
    const store = await freshStore(t);
    await store.createSweep(sweep('to'));
    const n = 1_200;
    await store.recordOperations(Array.from({ length: n }, (_, i) => ({ ...done('from', i, { fast: i }, { sharpe_ratio: i / 10, total_trades: i }), hash: `h${i}` })));
    // In reverse, with one entry twice (the first counts) and one unknown hash.
    const entries = Array.from({ length: n }, (_, i) => ({ idx: n - 1 - i, hash: `h${n - 1 - i}`, params: { fast: n - 1 - i } }));
    entries.push({ idx: 5, hash: 'h6', params: { fast: 6 } }, { idx: n, hash: 'unknown', params: { fast: n } });
    const copied = await store.copyDone('to', entries, 'sharpe_ratio');
    assert.deepEqual(copied, Array.from({ length: n }, (_, i) => ({ idx: i, hash: `h${i}`, value: i / 10, total_trades: i })));
    const { rows, total } = await store.queryResults('to', { sort: 'sharpe_ratio', limit: 2 });
    assert.deepEqual([total, rows.map((r) => r.idx)], [n, [n - 1, n - 2]]);
  });

  test('copyDone stores params and fills the typed parameter columns exactly as recordOperations does', async (t) => {
    const store = await freshStore(t);
    // Nine parameters: the ninth has no typed columns. SQLite's JSON parser reads 0.002877 and
    // 0.011227 one unit in the last place off; the typed columns hold the numbers as given.
    const names = ['fast', 'word', 'flag', 'x.y', 'quote', 'numeric text', 'ünï', 'empty', 'late'];
    for (const id of ['recorded', 'copied']) await store.createSweep(sweep(id, { param_names: names }));
    const combos: Array<Record<string, number | string | boolean>> = [
      { fast: 0.002877, word: 'long', flag: true, 'x.y': -2.5, quote: 'say "hi" \\ back', 'numeric text': '10', 'ünï': '✓ ü 𝄞', empty: '', late: 0.011227 },
      { fast: 1e21, word: '1e3', flag: false, 'x.y': 0, quote: "it's", 'numeric text': '0x10', 'ünï': 5e-324, empty: ' 5', late: 'late' },
      { fast: 0.1 + 0.2, word: 'true', flag: 'false', 'numeric text': 3, late: true },
      {},
    ];
    const hash = (i: number) => `odd-${i}`;
    await store.recordOperations(combos.map((params, i) => ({ ...done('source', i, params, { sharpe_ratio: i, total_trades: i }), hash: hash(i), blocks: wellBlocks(i) })));
    await store.recordOperations(combos.map((params, i) => ({ ...done('recorded', i, params, { sharpe_ratio: i, total_trades: i }), hash: hash(i), blocks: wellBlocks(i), duration_ms: 0 })));
    await store.copyDone('copied', combos.map((params, i) => ({ idx: i, hash: hash(i), params })), 'sharpe_ratio');
    const [recorded, copied] = [await storedRows(store, 'recorded'), await storedRows(store, 'copied')];
    assert.deepEqual(copied, recorded);
    assert.deepEqual(copied.map((r) => JSON.parse(r.params)), combos);
    assert.equal((copied[0] as Record<string, unknown>).p0_num, 0.002877, 'the number as given, not as the JSON parser reads it');
    for (const order of ['asc', 'desc'] as const) {
      for (const field of names) assert.deepEqual(indices(await store.queryResults('copied', { sort: field, order })), indices(await store.queryResults('recorded', { sort: field, order })), `${field} ${order}`);
    }
  });

  test('two store instances writing overlapping rows in parallel store each row once', async (t) => {
    const url = await databases.fresh();
    const [a, b] = [await openStore({ url }), await openStore({ url })];
    t.after(() => Promise.all([a.close(), b.close()]));
    await Promise.all([a.migrate(), b.migrate()]);
    await a.createSweep(sweep('p'));
    // a: idx 0..599, of which 300..599 failed; b: idx 300..899, all done; batches of 50 interleave.
    // Whatever the order, 300..599 end done (done replaces failed, failed never replaces done):
    // 900 rows, 900 done, 0 failed.
    const write = async (store: Store, from: number, to: number, failedFrom: number) => {
      for (let start = from; start < to; start += 50) {
        const rows = [];
        for (let idx = start; idx < start + 50; idx++) rows.push(idx >= failedFrom ? failed('p', idx, { fast: idx }) : done('p', idx, { fast: idx }, { sharpe_ratio: idx }));
        await store.recordOperations(rows);
      }
    };
    await Promise.all([write(a, 0, 600, 300), write(b, 300, 900, Infinity)]);
    assert.deepEqual(await b.refreshSweepCounts('p'), { completed: 900, failed: 0 });
    assert.equal((await a.queryResults('p', { limit: 0 })).total, 900);
  });

  test('two processes migrating and writing overlapping rows at once store each row once', async (t) => {
    const url = await databases.fresh();
    // Child 1: idx 0..599, failed in 300..599; child 2: idx 300..899, all done. Expect 900 done.
    // Both start writing 2 s from now (enough for both to load and migrate).
    const startAt = String(Date.now() + 2000);
    await Promise.all([
      run(process.execPath, ['--import', 'tsx', childWriter, url, 'x', '0', '600', '300', '600', startAt]),
      run(process.execPath, ['--import', 'tsx', childWriter, url, 'x', '300', '900', '0', '0', startAt]),
    ]);
    const store = await openStore({ url });
    t.after(() => store.close());
    await store.createSweep(sweep('x'));
    assert.deepEqual(await store.refreshSweepCounts('x'), { completed: 900, failed: 0 });
    assert.equal((await store.queryResults('x', { limit: 0 })).total, 900);
  });

  test('sorting by a metric puts NULLs last in both orders and breaks ties by idx', async (t) => {
    const store = await sixStore(t);
    // sharpe: 0→1.0, 1→null, 2→2.5, 3→1.0, 4→-0.5, 5→null.
    assert.deepEqual(indices(await store.queryResults('s', { sort: 'sharpe_ratio', order: 'desc' })), [2, 0, 3, 4, 1, 5]);
    assert.deepEqual(indices(await store.queryResults('s', { sort: 'sharpe_ratio', order: 'asc' })), [4, 0, 3, 2, 1, 5]);
  });

  test('sorting by a metric without an order puts the best first', async (t) => {
    const store = await sixStore(t);
    assert.deepEqual(indices(await store.queryResults('s', { sort: 'sharpe_ratio' })), [2, 0, 3, 4, 1, 5]);
  });

  test('pages of a metric sort join up into the full order, across the NULLs', async (t) => {
    const store = await sixStore(t);
    const page = async (offset: number, limit: number) => store.queryResults('s', { sort: 'sharpe_ratio', order: 'desc', offset, limit });
    // Full order [2, 0, 3, 4, 1, 5]; four rows have a sharpe ratio, so offset 3 limit 2 straddles.
    assert.deepEqual(indices(await page(0, 2)), [2, 0]);
    assert.deepEqual(indices(await page(2, 2)), [3, 4]);
    assert.deepEqual(indices(await page(3, 2)), [4, 1]);
    assert.deepEqual(indices(await page(4, 2)), [1, 5]);
    assert.deepEqual(indices(await page(5, 10)), [5]);
    assert.deepEqual(await page(6, 2), { rows: [], total: 6 });
  });

  test('sorting by a numeric parameter orders by value, rows without it last', async (t) => {
    const store = await sixStore(t);
    // fast: 0→10, 1→5, 2→20, 3→5, 4→10, 5→none. As numbers 5 < 10 < 20 (as text "10" < "20" < "5").
    assert.deepEqual(indices(await store.queryResults('s', { sort: 'fast', order: 'asc' })), [1, 3, 0, 4, 2, 5]);
    assert.deepEqual(indices(await store.queryResults('s', { sort: 'fast', order: 'desc' })), [2, 0, 4, 1, 3, 5]);
  });

  test('sorting by a text parameter orders bytewise, ties by idx', async (t) => {
    const store = await sixStore(t);
    // variant: "Andere"(3) < "Baseline"(0, 2, 5) < "Hoge RR"(1, 4).
    assert.deepEqual(indices(await store.queryResults('s', { sort: 'variant', order: 'asc' })), [3, 0, 2, 5, 1, 4]);
    assert.deepEqual(indices(await store.queryResults('s', { sort: 'variant', order: 'desc' })), [1, 4, 0, 2, 5, 3]);
  });

  test('a parameter sorts alike from its typed column and from the JSON: numbers, then text and booleans, missing last, ties by idx', async (t) => {
    const store = await freshStore(t);
    // "mixed" is axis 0 (typed columns) and axis 8 (past PARAM_AXES: read from the JSON).
    const names = ['mixed', 'a1', 'a2', 'a3', 'a4', 'a5', 'a6', 'a7', 'late'];
    await store.createSweep(sweep('x', { param_names: names }));
    const values: Array<number | string | boolean | undefined> = [10, 'b', true, -2.5, undefined, 'a', 10, false, 1e9, 'b', undefined, 0];
    await store.recordOperations(
      values.map((value, idx) => done('x', idx, value === undefined ? {} : { mixed: value, late: value }, { sharpe_ratio: idx })),
    );
    const expected = { asc: [3, 11, 0, 6, 8, 5, 1, 9, 7, 2, 4, 10], desc: [8, 0, 6, 11, 3, 2, 7, 1, 9, 5, 4, 10] };
    for (const order of ['asc', 'desc'] as const) {
      assert.deepEqual(indices(await store.queryResults('x', { sort: 'mixed', order })), expected[order], order);
      assert.deepEqual(indices(await store.queryResults('x', { sort: 'late', order })), expected[order], order);
      for (const [offset, limit] of [[0, 3], [2, 5], [5, 4], [9, 10], [11, 1]]) {
        const page = await store.queryResults('x', { sort: 'mixed', order, offset, limit });
        assert.deepEqual(indices(page), expected[order].slice(offset, offset + limit), `${order} ${offset}+${limit}`);
        assert.equal(page.total, 12);
      }
    }
    const filtered = await store.queryResults('x', { sort: 'mixed', filter: [{ field: 'sharpe_ratio', op: '>=', value: 6 }] });
    assert.deepEqual([indices(filtered), filtered.total], [[11, 6, 8, 9, 7, 10], 6]);
  });

  test('an index is made only for what a query needs: the primary metric, then each metric or parameter sorted by', async (t) => {
    const store = (await freshStore(t)) as SqlStore;
    const indexes = async () => {
      const { rows } =
        store.dialect === 'postgres'
          ? await sql<{ name: string }>`SELECT indexname AS name FROM pg_indexes WHERE schemaname = current_schema() AND tablename = 'operations'`.execute(store.db)
          : await sql<{ name: string }>`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'operations' AND sql IS NOT NULL`.execute(store.db);
      return rows.map((r) => r.name).filter((name) => name !== 'operations_key' && name !== 'operations_by_hash').sort();
    };
    assert.deepEqual(await indexes(), []);
    await store.createSweep(sweep('s'));
    assert.deepEqual(await indexes(), ['operations_by_sharpe_ratio']);
    await store.recordOperations(sixOperations('s'));
    await store.queryResults('s', { sort: 'total_trades' });
    await store.queryResults('s', { sort: 'sma_cross.slow' });
    assert.deepEqual(await indexes(), ['operations_by_p1_num', 'operations_by_p1_text', 'operations_by_sharpe_ratio', 'operations_by_total_trades']);
  });

  test('sorting by status and by idx descending', async (t) => {
    const store = await sixStore(t);
    assert.deepEqual(indices(await store.queryResults('s', { sort: 'status', order: 'desc' })), [1, 0, 2, 3, 4, 5]);
    assert.deepEqual(indices(await store.queryResults('s', { sort: 'idx', order: 'desc', limit: 3 })), [5, 4, 3]);
  });

  test('a metric filter compares numbers and never matches NULL', async (t) => {
    const store = await sixStore(t);
    const result = await store.queryResults('s', { filter: [{ field: 'sharpe_ratio', op: '>=', value: '1' }] });
    assert.deepEqual([indices(result), result.total], [[0, 2, 3], 3]);
    const notOne = await store.queryResults('s', { filter: [{ field: 'sharpe_ratio', op: '!=', value: 1 }] });
    assert.deepEqual(indices(notOne), [2, 4]);
  });

  test('a parameter filter compares numbers when the value is numeric and text otherwise', async (t) => {
    const store = await sixStore(t);
    // fast > "9": numeric, so 10 and 20 match (as text "5" > "9" would not, "10" would not either).
    assert.deepEqual(indices(await store.queryResults('s', { filter: [{ field: 'fast', op: '>', value: '9' }] })), [0, 2, 4]);
    assert.deepEqual(indices(await store.queryResults('s', { filter: [{ field: 'variant', op: '=', value: 'Hoge RR' }] })), [1, 4]);
    assert.deepEqual(indices(await store.queryResults('s', { filter: [{ field: 'sma_cross.slow', op: '=', value: 50 }] })), [2, 3, 4]);
  });

  test('filters combine with AND and the total counts every match beyond the page', async (t) => {
    const store = await sixStore(t);
    const result = await store.queryResults('s', {
      sort: 'total_trades',
      filter: [
        { field: 'variant', op: '!=', value: 'Andere' },
        { field: 'status', op: '=', value: 'done' },
      ],
      limit: 2,
    });
    // Matches 0 (4 trades), 2 (9), 4 (7), 5 (0); best first by total_trades: 2, 4, 0, 5.
    assert.deepEqual([indices(result), result.total], [[2, 4], 4]);
  });

  test('failed rows carry their error and no metrics; done rows carry every metric', async (t) => {
    const store = await sixStore(t);
    const { rows } = await store.queryResults('s', { filter: [{ field: 'idx', op: '<', value: 2 }] });
    assert.deepEqual(rows, [
      { idx: 0, hash: 's-h0', params: { fast: 10, 'sma_cross.slow': 20, variant: 'Baseline' }, status: 'done', error: null, metrics: metrics({ sharpe_ratio: 1, total_trades: 4 }), code: codeVersion() },
      { idx: 1, hash: 's-h1', params: { fast: 5, 'sma_cross.slow': 20, variant: 'Hoge RR' }, status: 'failed', error: 'engine failed', metrics: null, code: codeVersion() },
    ]);
  });

  test('an unknown sort or filter field is a ConfigError naming the allowed fields', async (t) => {
    const store = await sixStore(t);
    await assert.rejects(store.queryResults('s', { sort: 'sharp' }), (error) => {
      assert.ok(isConfigError(error));
      assert.equal(error.file, 'query');
      assert.equal(error.field, 'sort');
      assert.match(error.reason, /unknown field "sharp"; sort by one of "idx", "status", "fast", "sma_cross.slow", "variant", "final_equity",/);
      return true;
    });
    await assert.rejects(store.queryResults('s', { filter: [{ field: 'slow', op: '=', value: 5 }] }), (error) => {
      assert.ok(isConfigError(error));
      assert.equal(error.field, 'filter');
      assert.match(error.reason, /^"slow=5": unknown field "slow"; filter on one of "idx", "status", "fast"/);
      return true;
    });
  });

  test('a metric filter with a non-numeric value is a ConfigError', async (t) => {
    const store = await sixStore(t);
    await assert.rejects(store.queryResults('s', { filter: [{ field: 'sharpe_ratio', op: '>', value: 'high' }] }), {
      name: 'ConfigError',
      message: 'query: filter: "sharpe_ratio>high": "sharpe_ratio" compares numbers; "high" is not a number',
    });
  });

  test('a heatmap takes the max or the mean per cell, ignoring NULL metrics, and counts them', async (t) => {
    const store = await freshStore(t);
    await store.createSweep(sweep('h', { param_names: ['fast', 'slow', 'atr'] }));
    const cell = (idx: number, fast: number, slow: number, sharpe: number | null) => done('h', idx, { fast, slow, atr: idx % 2 }, { sharpe_ratio: sharpe });
    await store.recordOperations([
      cell(0, 5, 20, 1), cell(1, 5, 20, 2), // max 2, mean 1.5, count 2
      cell(2, 5, 50, 0.5), cell(3, 5, 50, null), // max 0.5, mean 0.5, count 1
      cell(4, 10, 20, -1), cell(5, 10, 20, 3), // max 3, mean (−1+3)/2 = 1, count 2
      cell(6, 10, 50, null), failed('h', 7, { fast: 10, slow: 50, atr: 1 }), // no values: null, count 0
    ]);
    assert.deepEqual(await store.heatmap('h', 'fast', 'slow', 'sharpe_ratio', 'max'), [
      { x: 5, y: 20, value: 2, count: 2 },
      { x: 5, y: 50, value: 0.5, count: 1 },
      { x: 10, y: 20, value: 3, count: 2 },
      { x: 10, y: 50, value: null, count: 0 },
    ]);
    assert.deepEqual(
      (await store.heatmap('h', 'fast', 'slow', 'sharpe_ratio', 'mean')).map((c) => c.value),
      [1.5, 0.5, 1, null],
    );
  });

  test('a heatmap over an unknown parameter or metric is a ConfigError', async (t) => {
    const store = await sixStore(t);
    await assert.rejects(store.heatmap('s', 'fast', 'slow', 'sharpe_ratio', 'max'), { name: 'ConfigError', message: /^query: y: unknown parameter "slow"/ });
    await assert.rejects(store.heatmap('s', 'fast', 'variant', 'sharp', 'max'), { name: 'ConfigError', message: /^query: metric: unknown metric "sharp"/ });
  });

  test('operations of a sweep read back by hash with idx and params, only for that sweep', async (t) => {
    const store = await sixStore(t);
    await store.recordOperations([done('other', 0, { fast: 1 })]);
    assert.deepEqual(await store.operationsOf('s', ['s-h3', 's-h0', 'other-h0']), [
      { hash: 's-h0', idx: 0, params: { fast: 10, 'sma_cross.slow': 20, variant: 'Baseline' } },
      { hash: 's-h3', idx: 3, params: { fast: 5, 'sma_cross.slow': 50, variant: 'Andere' } },
    ]);
  });

  test('a walk-forward window reads back as saved, once, and counts on its sweeps row', async (t) => {
    const store = await freshStore(t);
    await store.createSweep(sweep('wf', { kind: 'walk_forward', total: 2 }));
    const window = { walk_forward_id: 'wf', k: 1, sweep_id: 'wf-w1', params: { fast: 10 }, is_hash: 'a'.repeat(64), oos_hash: 'b'.repeat(64), in_sample: sampleResult(3), out_of_sample: sampleResult(5) };
    await store.saveWalkForwardWindow(window);
    await store.saveWalkForwardWindow({ ...window, params: { fast: 20 } });
    await store.saveWalkForwardWindow({ walk_forward_id: 'wf', k: 2, sweep_id: 'wf-w2', params: null, is_hash: null, oos_hash: null, in_sample: null, out_of_sample: sampleResult(4) });
    const windows = await store.walkForwardWindows('wf');
    assert.deepEqual(windows.map((w) => [w.k, w.params]), [[1, { fast: 10 }], [2, null]], 'the second save of window 1 changed nothing');
    assert.deepEqual(windows[0]!.in_sample, window.in_sample);
    assert.deepEqual(windows[0]!.out_of_sample, window.out_of_sample);
    assert.equal(windows[1]!.in_sample, null);
    assert.equal((await store.getSweep('wf'))?.completed, 2);
    assert.deepEqual(await store.walkForwardWindows('other'), []);
  });

  test('full results stored before migration 2 read back equal to what was stored', async (t) => {
    const store = await freshStore(t);
    await saveLegacyResult(store, 'r1', sampleResult(1));
    const found = await store.legacyResults(['r1', 'missing']);
    assert.deepEqual([...found.keys()], ['r1']);
    assert.deepEqual(found.get('r1'), sampleResult(1));
  });

  test('done indices cover exactly the done rows within [from, to)', async (t) => {
    const store = await freshStore(t);
    const rows = Array.from({ length: 10 }, (_, idx) => (idx === 3 ? failed('d', idx, { n: idx }) : done('d', idx, { n: idx })));
    await store.recordOperations(rows);
    assert.deepEqual([...(await store.doneIndices('d', 2, 8))].sort((a, b) => a - b), [2, 4, 5, 6, 7]);
  });

  test('refreshing sweep counts writes the done and failed totals to the sweep', async (t) => {
    const store = await sixStore(t);
    // Five done (0, 2, 3, 4, 5), one failed (1).
    assert.deepEqual(await store.refreshSweepCounts('s'), { completed: 5, failed: 1 });
    const row = await store.getSweep('s');
    assert.deepEqual([row?.completed, row?.failed], [5, 1]);
  });
}

describe('store on sqlite', () => {
  storeSuite(sqliteDatabases());

  test('a SQLite store runs in WAL mode in a directory it creates', async (t) => {
    const databases = sqliteDatabases();
    t.after(() => databases.cleanup());
    const url = (await databases.fresh()).replace(/store\.db$/, 'nested/deeper/store.db');
    const store = (await openStore({ url })) as SqlStore;
    t.after(() => store.close());
    const { rows } = await sql<{ journal_mode: string }>`PRAGMA journal_mode`.execute(store.db);
    assert.deepEqual(rows, [{ journal_mode: 'wal' }]);
  });

  test('sorting 100,000 operations by sharpe_ratio with a limit walks the metric index', async (t) => {
    const rows = Array.from({ length: 100_000 }, (_, idx) =>
      idx % 10 === 0 ? failed('big', idx, { fast: idx }) : done('big', idx, { fast: idx }, { sharpe_ratio: (idx % 997) / 100 }),
    );
    await assertSortWalksIndex(t, rows, 'sharpe_ratio', 'sharpe_ratio', (page) => assert.equal(page.rows.length, 50));
  });

  test('sorting 100,000 operations by a parameter with a limit walks its column index', async (t) => {
    const rows = Array.from({ length: 100_000 }, (_, idx) => done('big', idx, { fast: idx % 50, 'sma_cross.slow': idx, variant: 'v' }));
    await assertSortWalksIndex(t, rows, 'fast', 'p0_num', (page, order) =>
      assert.deepEqual(
        page.rows.map((r) => r.idx),
        Array.from({ length: 50 }, (_, i) => (order === 'asc' ? 0 : 49) + 50 * (100 + i)),
      ),
    );
  });
});

/**
 * Stores `rows` in sweep "big" of a fresh SQLite store, asks for the page at offset 100 sorted by
 * `sort` both ways, and checks that the query ordering by `column` walks operations_by_<column>.
 */
async function assertSortWalksIndex(
  t: TestContext,
  rows: ReturnType<typeof done>[],
  sort: string,
  column: string,
  check: (page: { rows: Array<{ idx: number }> }, order: 'asc' | 'desc') => void,
): Promise<void> {
  const databases = sqliteDatabases();
  t.after(() => databases.cleanup());
  const target = parseStoreUrl(await databases.fresh(), 'test');
  const queries: CompiledQuery[] = [];
  const store = new SqlStore(connect(target, { log: (event) => void queries.push(event.query) }), target);
  t.after(() => store.close());
  await store.migrate();
  await store.createSweep(sweep('big'));
  await store.recordOperations(rows);
  for (const order of ['asc', 'desc'] as const) {
    queries.length = 0;
    check(await store.queryResults('big', { sort, order, limit: 50, offset: 100 }), order);
    const ranked = queries.find((q) => new RegExp(`order by "${column}"`, 'i').test(q.sql));
    assert.ok(ranked, `no ${column} query among ${queries.map((q) => q.sql).join('\n')}`);
    const plan = await store.db.executeQuery<{ detail: string }>({ ...ranked, sql: `EXPLAIN QUERY PLAN ${ranked.sql}` });
    const details = plan.rows.map((r) => r.detail).join('\n');
    assert.match(details, new RegExp(`USING (COVERING )?INDEX operations_by_${column}\\b`), details);
    // A partial sort of equal values ("RIGHT PART OF ORDER BY") is fine; sorting all rows is not.
    assert.doesNotMatch(details, /USE TEMP B-TREE FOR ORDER BY/, details);
  }
}

const postgresUrl = process.env.SWEEPLAB_TEST_DATABASE_URL;
describe('store on postgres', { skip: postgresUrl ? false : 'set SWEEPLAB_TEST_DATABASE_URL to run' }, () => {
  if (postgresUrl) storeSuite(postgresDatabases(postgresUrl));
});
