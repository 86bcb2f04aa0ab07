import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createApp } from '../../src/api/app.js';
import type { ErrorBody } from '../../src/api/errors.js';
import { startStack, type Stack } from '../helpers/stack.js';

/* The walk-forward routes on the real stack, driven through `app.request()`. */

let stack: Stack;
let app: ReturnType<typeof createApp>;
const JSON_TYPE = { 'Content-Type': 'application/json' };

async function getJson<T = any>(url: string): Promise<T> {
  const res = await app.request(url);
  assert.equal(res.status, 200, `${url}: ${await res.clone().text()}`);
  return (await res.json()) as T;
}

before(async () => {
  stack = await startStack({ concurrency: 2 });
  app = createApp({ sweeps: stack.sweeps, store: stack.store, dataRoot: stack.dataRoot, namespace: stack.temporal.namespace });
});

after(async () => {
  await stack?.stop();
});

describe('POST /api/walk-forwards', () => {
  test('starts a walk-forward whose windows, figures and curves the API serves', async () => {
    const res = await app.request('/api/walk-forwards', { method: 'POST', headers: JSON_TYPE, body: JSON.stringify({ path: 'test/fixtures/walk-forward/walk_forward.yaml' }) });
    assert.equal(res.status, 202, await res.clone().text());
    const { id } = (await res.json()) as { id: string };
    assert.match(id, /^wf-/);
    for (let tries = 0; ; tries++) {
      const view = await getJson(`/api/sweeps/${id}`);
      if (view.status === 'completed') break;
      assert.ok(tries < 600 && view.status === 'running', `walk-forward ${id} is ${view.status}`);
      await sleep(250);
    }
    const detail = await getJson(`/api/walk-forwards/${id}`);
    assert.deepEqual([detail.sweep.kind, detail.sweep.total, detail.sweep.done], ['walk_forward', 8, 8]);
    assert.equal(detail.report.windows.length, 8);
    assert.equal(detail.report.stitched.windows, 8);
    assert.ok(typeof detail.report.stitched.metrics.sharpe_ratio === 'number');
    assert.deepEqual(Object.keys(detail.report.stitched.stability), ['fast', 'slow']);

    const { windows } = await getJson(`/api/walk-forwards/${id}/windows`);
    assert.deepEqual(windows, detail.report.windows);
    assert.equal(windows[0].sweep_id, `${id}-w1`);
    const child = await getJson(`/api/sweeps/${id}-w1/results`);
    assert.equal(child.total, 6, "a window's in-sample optimization has its own results table");

    const curves = await getJson(`/api/walk-forwards/${id}/equity?points=50`);
    assert.equal(curves.stitched.t.length, 50);
    assert.equal(curves.in_sample.length, windows.filter((w: { params: unknown }) => w.params).length);
    const listed = await getJson(`/api/sweeps?kind=walk_forward`);
    assert.deepEqual(listed.rows.map((r: { id: string }) => r.id), [id]);
  });

  test('refuses a bad file with 422 naming the file, field and reason', async () => {
    const body = JSON.stringify({ walk_forward_config: { name: 'x', base_optimization: 'test/fixtures/walk-forward/optimization.yaml', windows: { in_sample: 100, out_of_sample: 50 } } });
    const res = await app.request('/api/walk-forwards', { method: 'POST', headers: JSON_TYPE, body });
    assert.equal(res.status, 422);
    const { error } = (await res.json()) as ErrorBody;
    assert.deepEqual([error.file, error.field], ['request body', 'walk_forward_config.windows.in_sample']);
    assert.match(error.reason!, /^leaves window 1 an in-sample piece of 100 bars/);
  });

  test('answers 404 for an id that is not a walk-forward', async () => {
    assert.equal((await app.request('/api/walk-forwards/wf-nope')).status, 404);
  });

  test('is in the OpenAPI document with its response schemas', async () => {
    const doc = await getJson('/api/openapi.json');
    for (const route of ['/api/walk-forwards', '/api/walk-forwards/{id}', '/api/walk-forwards/{id}/windows', '/api/walk-forwards/{id}/equity']) assert.ok(doc.paths[route], route);
    for (const schema of ['WalkForwardReport', 'WalkForwardWindow', 'WalkForwardCurves', 'ParamStability']) assert.ok(doc.components.schemas[schema], schema);
  });
});
