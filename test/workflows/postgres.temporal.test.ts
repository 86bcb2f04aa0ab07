import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runMaterializedOperation } from '../../src/services/run-operation.js';
import { FullResults } from '../../src/services/full-results.js';
import { loadOptimizationFile, loadVariantFile } from '../../src/intake/load.js';
import { operationAt } from '../../src/config/operation-at.js';
import { optimizationSpec, variantTestSpec } from '../../src/config/sweep.js';
import { startStack, repoRoot, type Stack } from '../helpers/stack.js';
import { postgresDatabases, type TestDatabases } from '../store/fixtures.js';

/*
 * The same sweeps with the results store on PostgreSQL (DATABASE_URL in production): the worker's
 * writes and the ranking go through the postgres dialect end to end. Runs when
 * SWEEPLAB_TEST_DATABASE_URL is set (.ci/run sets it), in a schema of its own.
 */

const baseUrl = process.env.SWEEPLAB_TEST_DATABASE_URL;

describe('sweeps on postgres', { skip: baseUrl ? false : 'SWEEPLAB_TEST_DATABASE_URL is not set' }, () => {
  let databases: TestDatabases;
  let stack: Stack;

  before(async () => {
    databases = postgresDatabases(baseUrl!);
    stack = await startStack({ databaseUrl: await databases.fresh() });
  });

  after(async () => {
    await stack?.stop();
    await databases?.cleanup();
  });

  test('the example optimization stores every admissible combination once', async () => {
    const loaded = loadOptimizationFile(path.join(repoRoot, 'examples/optimization.yaml'), { dataRoot: repoRoot });
    const { id } = await stack.sweeps.submit(optimizationSpec(loaded));
    const view = await stack.sweeps.result(id);
    assert.equal(view.status, 'completed');
    const { rows, total } = await stack.store.queryResults(id, { sort: 'idx', order: 'asc' });
    assert.equal(total, loaded.admissible);
    assert.equal(new Set(rows.map((r) => r.hash)).size, loaded.admissible);
    assert.equal(view.done, loaded.admissible, 'the stored counts equal the workflow counts');
  });

  test('the variant race reads back curves equal to direct runs', async () => {
    const spec = variantTestSpec(loadVariantFile(path.join(repoRoot, 'examples/variant.yaml'), { dataRoot: repoRoot }));
    const { id } = await stack.sweeps.submit(spec);
    assert.equal((await stack.sweeps.result(id)).status, 'completed');
    const { rows } = await stack.store.queryResults(id, { sort: 'idx', order: 'asc' });
    const curves = await new FullResults(stack.store, repoRoot).of(id, rows.map((r) => r.hash));
    assert.equal(curves.length, 3);
    for (const c of curves) assert.deepEqual(c.result, runMaterializedOperation(operationAt(spec, c.idx).op, { dataRoot: repoRoot, file: 'direct' }));
  });
});
