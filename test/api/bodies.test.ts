import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { createApp } from '../../src/api/app.js';
import { specFromDocument } from '../../src/api/submission.js';
import { Sweeps } from '../../src/client/sweeps.js';
import { parseYaml } from '../../src/intake/yaml.js';
import { METRIC_NAMES } from '../../src/engine/result.js';
import { openStore } from '../../src/store/index.js';
import type { SqlStore } from '../../src/store/store.js';
import type { Store } from '../../src/store/types.js';
import { runCli } from '../cli/run-cli.js';
import { exampleSpecs } from '../store/fixtures.js';

/*
 * What the API writes and reads besides JSON (issue 19 item 8): results as CSV, compressed request
 * bodies, and the OpenAPI document's request examples. A real SQLite store; Temporal is never asked
 * (its address is a port nobody listens on), so none of this needs a server.
 */

const NO_TEMPORAL = '127.0.0.1:1';

describe('the API without Temporal', () => {
  let tmp: string;
  let store: Store;
  let connection: Connection;
  let app: ReturnType<typeof createApp>;

  before(async () => {
    tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'sweeplab-bodies-')));
    store = await openStore({ url: `sqlite:${path.join(tmp, 'store.db')}` });
    await store.migrate();
    connection = Connection.lazy({ address: NO_TEMPORAL });
    app = createApp({ sweeps: new Sweeps(new Client({ connection }), store, 'bodies-never-polled'), store, dataRoot: tmp });
  });

  after(async () => {
    await connection?.close();
    await store?.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  test('results as CSV neutralise variant names and errors that begin like a formula, and keep negative numbers', async () => {
    const names = ['=HYPERLINK("http://evil.example","click")', "+cmd|' /C calc'!A0", '-1+1', '@SUM(1+1)', 'Baseline'];
    await store.createSweep({ id: 'var-csv', kind: 'variant_test', name: 'csv', total: names.length, primary_metric: 'sharpe_ratio', spec: exampleSpecs().variant_test, param_names: ['variant'] });
    await store.recordOperations(
      names.map((name, idx) => ({ sweep_id: 'var-csv', idx, hash: `${idx}`.repeat(64), params: { variant: name }, status: 'failed', error: idx === 4 ? '\t=1+1' : 'x', metrics: null, duration_ms: 0, blocks: null })),
    );
    const res = await app.request('/api/sweeps/var-csv/results?format=csv&sort=idx&order=asc');
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'text/csv; charset=utf-8');
    const empties = ','.repeat(METRIC_NAMES.length - 1);
    assert.equal(
      await res.text(),
      `idx,hash,variant,status,error,${METRIC_NAMES.join(',')}\n` +
        `0,${'0'.repeat(64)},"'=HYPERLINK(""http://evil.example"",""click"")",failed,x,${empties}\n` +
        `1,${'1'.repeat(64)},"'+cmd|' /C calc'!A0",failed,x,${empties}\n` +
        `2,${'2'.repeat(64)},"'-1+1",failed,x,${empties}\n` +
        `3,${'3'.repeat(64)},"'@SUM(1+1)",failed,x,${empties}\n` +
        `4,${'4'.repeat(64)},Baseline,failed,"'\t=1+1",${empties}\n`,
    );
  });

  for (const [coding, compress] of [['gzip', zlib.gzipSync], ['deflate', zlib.deflateSync]] as const) {
    test(`a ${coding} body is decompressed and read (it once got "not valid UTF-8")`, async () => {
      const res = await app.request('/api/optimizations', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'Content-Encoding': coding },
        body: compress(JSON.stringify({ path: 'no-such.yaml' })),
      });
      // Read, decoded and parsed: what remains is the loader's 422 on the path it names.
      assert.equal(res.status, 422);
      assert.match(((await res.json()) as { error: { message: string } }).error.message, /^request body: path: "no-such\.yaml" does not exist/);
    });
  }

  test('a gzip body that inflates past the body limit is refused after the limit, not read whole', async () => {
    // 64 MiB of spaces compress to about 64 KiB, under the 1 MiB limit as sent.
    const bomb = zlib.gzipSync(Buffer.concat([Buffer.from('{"path": "x"'), Buffer.alloc(64 * 1024 * 1024, 0x20), Buffer.from('}')]));
    assert.ok(bomb.length < 1024 * 1024);
    const res = await app.request('/api/optimizations', { method: 'POST', headers: { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' }, body: bomb });
    assert.equal(res.status, 413);
    assert.equal(((await res.json()) as { error: { reason: string } }).error.reason, 'decompresses (Content-Encoding "gzip") to more than the limit of 1,048,576 bytes');
  });

  test('every POST route with a body documents a path example and a document example for each media type', async () => {
    const doc = (await (await app.request('/api/openapi.json')).json()) as { paths: Record<string, Record<string, { requestBody?: { content: Record<string, { examples?: Record<string, { value: unknown }> }> } }>> };
    const withBody = Object.entries(doc.paths).filter(([, ops]) => ops.post?.requestBody);
    assert.deepEqual(withBody.map(([p]) => p).sort(), ['/api/optimizations', '/api/variant-tests', '/api/walk-forwards']);
    for (const [p, ops] of withBody) {
      for (const [type, media] of Object.entries(ops.post!.requestBody!.content)) {
        assert.deepEqual(Object.keys(media.examples ?? {}), ['path', 'document'], `${p} ${type}`);
      }
    }
  });

  test('a sweep whose stored spec is from a later version answers 422 over the API and exits 2 from the CLI, naming the sweep and the field', async (t) => {
    const { optimization } = exampleSpecs();
    await store.createSweep({ id: 'from-later', kind: 'optimization', name: 'later', total: 0, primary_metric: 'sharpe_ratio', spec: optimization, param_names: ['fast', 'slow'] });
    await (store as SqlStore).db.updateTable('sweeps').set({ spec: JSON.stringify({ ...optimization, spec_version: 2 }) }).where('id', '=', 'from-later').execute();
    const reason = 'is 2, written by a newer sweeplab than this one (which reads up to version 1); upgrade sweeplab to read this sweep';
    const message = `stored sweep "from-later": spec.spec_version: ${reason}`;

    const res = await app.request('/api/sweeps/from-later/results');
    assert.equal(res.status, 422);
    assert.deepEqual(await res.json(), { error: { file: 'stored sweep "from-later"', field: 'spec.spec_version', reason, message } });

    const ops = path.join(tmp, 'later-ops');
    t.after(() => fs.rmSync(ops, { recursive: true, force: true }));
    const cli = await runCli(['export', 'from-later', '--ops', ops], { cwd: tmp, env: { DATABASE_URL: `sqlite:${path.join(tmp, 'store.db')}`, TEMPORAL_ADDRESS: NO_TEMPORAL } });
    assert.equal(cli.code, 2, cli.stderr);
    assert.equal(cli.stderr.trim(), `error: ${message}`);
  });

  test("the OpenAPI document's request examples each resolve in a workspace made by sweeplab init", async (t) => {
    const root = path.join(tmp, 'research');
    const init = await runCli(['init', root], { cwd: tmp, env: {} });
    assert.equal(init.code, 0, init.stderr);
    t.after(() => fs.rmSync(root, { recursive: true, force: true }));
    const doc = (await (await app.request('/api/openapi.json')).json()) as { paths: Record<string, { post: { requestBody: { content: Record<string, { examples: Record<string, { value: unknown }> }> } } }> };
    const kinds = { '/api/optimizations': 'optimization', '/api/variant-tests': 'variant_test', '/api/walk-forwards': 'walk_forward' } as const;
    let checked = 0;
    for (const [route, kind] of Object.entries(kinds)) {
      for (const [type, media] of Object.entries(doc.paths[route]!.post.requestBody.content)) {
        for (const [name, example] of Object.entries(media.examples)) {
          // A YAML media type shows YAML text; JSON shows the object. The route hands either to specFromDocument.
          const document = typeof example.value === 'string' ? parseYaml(example.value, 'example') : example.value;
          assert.doesNotThrow(() => specFromDocument(kind, document, root), `${route} ${type} ${name}`);
          checked++;
        }
      }
    }
    assert.equal(checked, 3 * 4 * 2, 'three routes, four media types, two examples each');
  });
});
