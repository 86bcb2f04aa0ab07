import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import { FullResults } from '../../src/services/full-results.js';
import { runMaterializedOperation } from '../../src/services/run-operation.js';
import { operationHash } from '../../src/config/hash.js';
import { loadOptimizationFile } from '../../src/intake/load.js';
import { operationAt } from '../../src/config/operation-at.js';
import { optimizationSpec, paramNames, type OptimizationSpec } from '../../src/config/sweep.js';
import { openStore, type Store } from '../../src/store/index.js';
import { decodeResult, encodeResult } from '../../src/store/result-codec.js';

const repoRoot = path.resolve(import.meta.dirname, '../..');

/** A workspace of its own (the example blueprints and data), so a test may change its data file. */
function workspace(t: TestContext): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sweeplab-full-'));
  t.after(() => fs.rmSync(root, { recursive: true, force: true }));
  fs.cpSync(path.join(repoRoot, 'examples'), root, { recursive: true });
  return root;
}

/** A sweep of the example grid with operations `indices` stored as a worker stores them: no curves. */
async function storedSweep(t: TestContext, root: string, indices: number[]): Promise<{ store: Store; spec: OptimizationSpec; hashes: string[] }> {
  const spec = optimizationSpec(loadOptimizationFile(path.join(root, 'optimization.yaml'), { dataRoot: root }));
  const store = await openStore({ url: `sqlite:${path.join(root, 'store.db')}` });
  t.after(() => store.close());
  await store.migrate();
  await store.createSweep({ id: 's', kind: 'optimization', name: spec.name, total: indices.length, primary_metric: spec.primary_metric, spec, param_names: paramNames(spec) });
  const hashes = indices.map((idx) => operationHash(operationAt(spec, idx).op));
  await store.recordOperations(
    indices.map((idx, i) => {
      const { metrics } = runMaterializedOperation(operationAt(spec, idx).op, { dataRoot: root, file: 'test' });
      return { sweep_id: 's', idx, hash: hashes[i]!, params: operationAt(spec, idx).params, status: 'done', error: null, metrics, duration_ms: 1, blocks: null };
    }),
  );
  return { store, spec, hashes };
}

describe('full results on demand', () => {
  test('are recomputed bit for bit as the engine ran them, and as the store used to keep them', async (t) => {
    const root = workspace(t);
    const { store, spec, hashes } = await storedSweep(t, root, [3, 40, 122]);
    const served = await new FullResults(store, root).of('s', [hashes[2]!, hashes[0]!, hashes[1]!, 'f'.repeat(64)]);
    assert.deepEqual(served.map((s) => s.idx), [3, 40, 122], 'by idx; a hash outside the sweep is left out');
    for (const s of served) {
      const direct = runMaterializedOperation(operationAt(spec, s.idx).op, { dataRoot: root, file: 'direct' });
      assert.deepStrictEqual(s.result, direct);
      // What a worker stored before migration 3 (compressed, drawdown rebuilt on read) is the same.
      assert.deepStrictEqual(s.result, decodeResult(encodeResult(direct)));
      assert.deepEqual(s.params, operationAt(spec, s.idx).params);
    }
  });

  test('come from a bounded cache: a repeated request reuses the result until it is evicted', async (t) => {
    const root = workspace(t);
    const { store, hashes } = await storedSweep(t, root, [3, 40, 122]);
    const results = new FullResults(store, root, { entries: 2 });
    const [first] = await results.of('s', [hashes[0]!]);
    assert.equal((await results.of('s', [hashes[0]!]))[0]!.result, first!.result, 'the same object: served from the cache');
    await results.of('s', [hashes[1]!, hashes[2]!]);
    const [again] = await results.of('s', [hashes[0]!]);
    assert.notEqual(again!.result, first!.result, 'evicted by two newer ones, so recomputed');
    assert.deepStrictEqual(again!.result, first!.result);
  });

  test('of data changed since the sweep are a DataError saying so, and the metrics stay', async (t) => {
    const root = workspace(t);
    const { store, hashes } = await storedSweep(t, root, [3]);
    fs.appendFileSync(path.join(root, 'data/SYNTH_1d.csv'), '2024-01-02,100,101,99,100,1000\n');
    await assert.rejects(new FullResults(store, root).of('s', hashes), {
      name: 'DataError',
      message: /"data\/SYNTH_1d\.csv" changed since the operation was materialized .*sweep "s" .*its stored metrics are unaffected/,
    });
    const [row] = (await store.queryResults('s', {})).rows;
    assert.equal(typeof row?.metrics?.final_equity, 'number', 'the stored metrics are still served');
  });

  test('of data gone since the sweep are a DataError naming the file', async (t) => {
    const root = workspace(t);
    const { store, hashes } = await storedSweep(t, root, [3]);
    fs.rmSync(path.join(root, 'data/SYNTH_1d.csv'));
    await assert.rejects(new FullResults(store, root).of('s', hashes), { name: 'DataError', message: /SYNTH_1d\.csv.*sweep "s"/ });
  });
});
