import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { createApp } from '../../src/api/app.js';
import { Sweeps } from '../../src/client/sweeps.js';
import { openStore } from '../../src/store/index.js';
import type { Store } from '../../src/store/types.js';
import { runCli } from '../cli/run-cli.js';
import { exampleSpecs } from '../store/fixtures.js';

/*
 * Each kind of user error through the API (its status, from the one table in src/api/errors.ts) and
 * through the CLI (its exit code, from the one table in src/cli/main.ts), with the same message.
 * A real SQLite store; Temporal is never asked (its address is a port nobody listens on).
 */

const NO_TEMPORAL = '127.0.0.1:1';
const HASH = 'f'.repeat(64);

describe('error kinds', () => {
  let tmp: string;
  let store: Store;
  let connection: Connection;
  let app: ReturnType<typeof createApp>;
  const cli = (...args: string[]) => runCli(args, { cwd: tmp, env: { DATABASE_URL: `sqlite:${path.join(tmp, 'store.db')}`, TEMPORAL_ADDRESS: NO_TEMPORAL, SWEEPLAB_DATA_ROOT: tmp } });
  const refusal = async (res: Response) => ((await res.json()) as { error: { message: string } }).error.message;

  before(async () => {
    tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'sweeplab-kinds-')));
    store = await openStore({ url: `sqlite:${path.join(tmp, 'store.db')}` });
    await store.migrate();
    connection = Connection.lazy({ address: NO_TEMPORAL });
    app = createApp({ sweeps: new Sweeps(new Client({ connection }), store, 'kinds-never-polled'), store, dataRoot: tmp });
    // A variant test whose plugin code is gone from the store (a data error), with one operation.
    await store.createSweep({ id: 'var-k', kind: 'variant_test', name: 'k', total: 1, primary_metric: 'sharpe_ratio', spec: { ...exampleSpecs().variant_test, plugin_bundle: 'dead' }, param_names: ['variant'] });
    await store.recordOperations([{ sweep_id: 'var-k', idx: 0, hash: HASH, params: { variant: 'A' }, status: 'failed', error: 'x', metrics: null, duration_ms: 0, blocks: null }]);
  });

  after(async () => {
    await connection?.close();
    await store?.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  test('request: a results filter with "==" is 400 and exit 2', async () => {
    const res = await app.request(`/api/sweeps/var-k/results?filter=${encodeURIComponent('fast==1')}`);
    assert.equal(res.status, 400);
    assert.equal(await refusal(res), 'query: filter: "fast==1": unknown operator "=="; use one of "=", "!=", "<", "<=", ">", ">="');
    const run = await cli('results', 'var-k', '--filter', 'fast==1');
    assert.equal(run.code, 2);
    assert.equal(run.stderr, 'error: --filter: filter: "fast==1": unknown operator "=="; use one of "=", "!=", "<", "<=", ">", ">="\n');
  });

  test('not_found: an operation not in the store is 404; a sweep not in it is exit 2', async () => {
    const res = await app.request(`/api/operations/${'e'.repeat(64)}`);
    assert.equal(res.status, 404);
    assert.equal(await refusal(res), `operation: ${'e'.repeat(64)}: no such operation in the results store`);
    const run = await cli('results', 'nope');
    assert.equal(run.code, 2);
    assert.equal(run.stderr, 'error: sweep: nope: has no stored results yet (unknown id, or its worker has not started it)\n');
  });

  test('conflict: statistics of a variant test are 409 and exit 2', async () => {
    const res = await app.request('/api/sweeps/var-k/statistics', { method: 'POST' });
    assert.equal(res.status, 409);
    assert.equal(await refusal(res), 'sweep: var-k: robustness statistics are for optimizations; this is a variant test');
    const run = await cli('statistics', 'var-k', '--compute');
    assert.equal(run.code, 2);
    assert.equal(run.stderr, 'error: sweep: var-k: robustness statistics are for optimizations; this is a variant test\n');
  });

  test('data: the equity of a sweep whose plugin code is gone is 422 and exit 2', async () => {
    const res = await app.request('/api/sweeps/var-k/equity?ids=0');
    assert.equal(res.status, 422);
    assert.equal(await refusal(res), 'plugin bundle: dead: is not in the results store; submit the sweep again from its workspace');
    const run = await cli('export', 'var-k', '--ops', path.join(tmp, 'ops'));
    assert.equal(run.code, 2);
    assert.equal(run.stderr, 'error: plugin bundle: dead: is not in the results store; submit the sweep again from its workspace\n');
  });

  test('invalid: a document that is wrong is 422 and exit 2', async () => {
    const res = await app.request('/api/variant-tests', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"variant_config": 1}' });
    assert.equal(res.status, 422);
    assert.equal(await refusal(res), 'request body: variant_config: expected object, received number');
    fs.writeFileSync(path.join(tmp, 'bad.yaml'), 'variant_config: 1\n');
    const run = await cli('variants', 'bad.yaml');
    assert.equal(run.code, 2);
    assert.equal(run.stderr, 'error: bad.yaml: variant_config: expected object, received number\n');
  });
});
