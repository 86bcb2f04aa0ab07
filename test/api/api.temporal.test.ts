import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { parse } from 'csv-parse/sync';
import { createApp } from '../../src/api/app.js';
import { sampleIndices } from '../../src/api/equity.js';
import type { ErrorBody } from '../../src/api/errors.js';
import { METRIC_NAMES } from '../../src/engine/result.js';
import type { ResultRow } from '../../src/store/types.js';
import { statisticsWorkflowId } from '../../src/workflows/types.js';
import { startStack, repoRoot, type Stack } from '../helpers/stack.js';
import { FullResults } from '../../src/services/full-results.js';
import { uniqueId } from '../helpers/temporal.js';

/*
 * The HTTP API on the real stack: a Temporal dev server, an in-process worker and a SQLite store in
 * a temp dir, driven through `app.request()` exactly as a client would.
 */

let stack: Stack;
let app: ReturnType<typeof createApp>;

const JSON_TYPE = { 'Content-Type': 'application/json' };
const YAML_TYPE = { 'Content-Type': 'application/yaml' };

async function getJson<T = any>(url: string, init?: RequestInit): Promise<T> {
  const res = await app.request(url, init);
  assert.equal(res.status, 200, `${url}: ${await res.clone().text()}`);
  return (await res.json()) as T;
}

/** The ConfigError shape of a 4xx body (file, field, reason, message). */
async function errorOf(res: Response): Promise<Required<ErrorBody['error']>> {
  const { error } = (await res.json()) as ErrorBody;
  assert.ok(error.reason !== undefined, `a ConfigError body: ${JSON.stringify(error)}`);
  return error as Required<ErrorBody['error']>;
}

async function submit(kind: 'optimizations' | 'variant-tests', body: string, headers: Record<string, string>, query = ''): Promise<string> {
  const res = await app.request(`/api/${kind}${query}`, { method: 'POST', headers, body });
  assert.equal(res.status, 202, await res.clone().text());
  return ((await res.json()) as { id: string }).id;
}

async function waitCompleted(id: string): Promise<any> {
  const deadline = Date.now() + 180_000;
  for (;;) {
    const view = await getJson(`/api/sweeps/${id}`);
    if (view.status === 'completed') return view;
    assert.ok(view.status === 'running', `sweep ${id} ended as ${view.status}`);
    if (Date.now() > deadline) throw new Error(`sweep ${id} did not complete`);
    await sleep(250);
  }
}

/** Rows in the order the store promises: non-null values by the key, ties and nulls by idx. */
function expectedOrder(rows: ResultRow[], value: (r: ResultRow) => number | null, order: 'asc' | 'desc'): number[] {
  const sign = order === 'asc' ? 1 : -1;
  const present = rows.filter((r) => value(r) !== null).sort((a, b) => sign * (value(a)! - value(b)!) || a.idx - b.idx);
  const missing = rows.filter((r) => value(r) === null).sort((a, b) => a.idx - b.idx);
  return [...present, ...missing].map((r) => r.idx);
}

before(async () => {
  stack = await startStack({ concurrency: 4 });
  app = createApp({ sweeps: stack.sweeps, store: stack.store, dataRoot: stack.dataRoot, temporalUiUrl: 'http://ui.example', namespace: stack.temporal.namespace });
});

after(async () => {
  await stack?.stop();
});

describe('an optimization submitted as { path }', () => {
  let id: string;
  let all: ResultRow[];

  before(async () => {
    id = await submit('optimizations', JSON.stringify({ path: 'examples/optimization.yaml' }), JSON_TYPE, `?id=${uniqueId('api-opt')}`);
    await waitCompleted(id);
    // The statistics follow completion in a workflow of their own.
    await stack.temporal.client.workflow.getHandle(statisticsWorkflowId(id)).result();
    all = (await getJson(`/api/sweeps/${id}/results?sort=idx&order=asc&limit=100000`)).rows;
  });

  test('runs to completion with every admissible combination stored', async () => {
    const view = await getJson(`/api/sweeps/${id}`);
    // 10 fast values × 4 slow × 3 multipliers × 5 ratios = 600; fast < slow leaves 480 (examples/optimization.yaml).
    assert.equal(view.total, 480);
    assert.equal(view.done + view.failed, 480);
    assert.equal(all.length, 480);
    assert.equal(view.links.temporal_ui, `http://ui.example/namespaces/default/workflows/${id}`);
  });

  test('a completed sweep reports its best operation from the store', async () => {
    const view = await getJson(`/api/sweeps/${id}`);
    const ranked = all.filter((r) => r.status === 'done' && r.metrics!.total_trades! >= 5 && r.metrics!.sharpe_ratio !== null);
    const best = ranked.sort((a, b) => b.metrics!.sharpe_ratio! - a.metrics!.sharpe_ratio! || a.idx - b.idx)[0]!;
    assert.equal(view.best.idx, best.idx);
    assert.equal(view.best.value, best.metrics!.sharpe_ratio);
  });

  for (const [sort, order] of [
    ['sharpe_ratio', 'desc'],
    ['sharpe_ratio', 'asc'],
    ['total_return', 'desc'],
    ['max_drawdown', 'asc'],
    ['fast', 'asc'],
    ['risk_reward_ratio', 'desc'],
  ] as const) {
    test(`sorts by ${sort} ${order} as a sort of the full table does`, async () => {
      const { rows, total } = await getJson(`/api/sweeps/${id}/results?sort=${sort}&order=${order}&limit=1000`);
      assert.equal(total, 480);
      const key = (r: ResultRow) => (sort in r.params ? Number(r.params[sort]) : (r.metrics?.[sort as keyof NonNullable<ResultRow['metrics']>] ?? null));
      assert.deepEqual(
        rows.map((r: ResultRow) => r.idx),
        expectedOrder(all, key, order),
      );
    });
  }

  test('pages concatenate to the full list without duplicates', async () => {
    const full = (await getJson(`/api/sweeps/${id}/results?sort=sharpe_ratio&order=desc&limit=1000`)).rows as ResultRow[];
    const pages: ResultRow[] = [];
    for (let offset = 0; offset < 480; offset += 37) {
      const page = await getJson(`/api/sweeps/${id}/results?sort=sharpe_ratio&order=desc&limit=37&offset=${offset}`);
      assert.equal(page.offset, offset);
      pages.push(...page.rows);
    }
    assert.deepEqual(pages, full);
    assert.equal(new Set(pages.map((r) => r.hash)).size, 480);
  });

  test('filters with the query syntax of the CLI', async () => {
    const { rows, total } = await getJson(`/api/sweeps/${id}/results?filter=${encodeURIComponent('fast=10,total_trades>=5')}&limit=1000`);
    const expected = all.filter((r) => r.params.fast === 10 && (r.metrics?.total_trades ?? -1) >= 5);
    assert.equal(total, expected.length);
    assert.deepEqual(new Set(rows.map((r: ResultRow) => r.idx)), new Set(expected.map((r) => r.idx)));
  });

  test('CSV parses back to the same rows as JSON', async () => {
    const query = 'sort=total_return&order=desc&limit=100';
    const { rows } = await getJson(`/api/sweeps/${id}/results?${query}`);
    const res = await app.request(`/api/sweeps/${id}/results?${query}&format=csv`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type')!, /^text\/csv/);
    assert.equal(res.headers.get('content-disposition'), `attachment; filename="${id}-results.csv"`);
    const records = parse(await res.text(), { columns: true }) as Array<Record<string, string>>;
    assert.equal(records.length, rows.length);
    records.forEach((rec, i) => {
      const row = rows[i] as ResultRow;
      assert.equal(Number(rec.idx), row.idx);
      assert.equal(rec.hash, row.hash);
      for (const p of ['fast', 'slow', 'atr_multiplier', 'risk_reward_ratio']) assert.equal(Number(rec[p]), row.params[p]);
      for (const m of METRIC_NAMES) assert.equal(rec[m] === '' ? null : Number(rec[m]), row.metrics?.[m] ?? null, `${m} of row ${row.idx}`);
    });
  });

  test('an unknown sort field is a 400 naming the allowed fields', async () => {
    const res = await app.request(`/api/sweeps/${id}/results?sort=sharpe`);
    assert.equal(res.status, 400);
    const error = await errorOf(res);
    assert.equal(error.field, 'sort');
    assert.match(error.reason, /unknown field "sharpe"; sort by one of "idx", "status", "fast", "slow", "atr_multiplier", "risk_reward_ratio", "final_equity"/);
  });

  test('an unknown filter field is a 400', async () => {
    const res = await app.request(`/api/sweeps/${id}/results?filter=speed>1`);
    assert.equal(res.status, 400);
    assert.equal((await errorOf(res)).field, 'filter');
  });

  test('heatmap has one cell per distinct (x, y) pair, each the max of its rows', async () => {
    const map = await getJson(`/api/sweeps/${id}/heatmap?x=fast&y=slow&metric=total_return&agg=max`);
    const pairs = new Map<string, number[]>();
    for (const r of all) {
      const key = `${r.params.fast}|${r.params.slow}`;
      pairs.set(key, [...(pairs.get(key) ?? []), r.metrics?.total_return ?? Number.NaN]);
    }
    assert.equal(map.cells.length, pairs.size);
    // fast runs 5..50 and every value has some slow above it (50 < 100), so all ten appear.
    assert.deepEqual(map.x, [5, 10, 15, 20, 25, 30, 35, 40, 45, 50]);
    assert.deepEqual(map.y, [20, 50, 100, 200]);
    for (const cell of map.cells) {
      const values = pairs.get(`${cell.x}|${cell.y}`)!.filter((v) => !Number.isNaN(v));
      assert.equal(cell.value, Math.max(...values), `cell ${cell.x}/${cell.y}`);
      assert.equal(cell.count, values.length);
    }
  });

  test('equity defaults to the top 5 by the primary metric', async () => {
    const eq = await getJson(`/api/sweeps/${id}/equity?points=100`);
    const top = (await getJson(`/api/sweeps/${id}/results?sort=sharpe_ratio&order=desc&limit=5&filter=total_trades>=5`)).rows;
    assert.deepEqual(
      eq.series.map((s: { idx: number }) => s.idx),
      top.map((r: ResultRow) => r.idx),
    );
    assert.equal(eq.t.length, 100);
  });

  test('an operation served as YAML and saved at the workspace root replays to identical metrics', async () => {
    const best = all.find((r) => r.status === 'done')!;
    const res = await app.request(`/api/operations/${best.hash}`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type')!, /^text\/yaml/);
    const file = path.join(repoRoot, `${uniqueId('replay')}.yaml`);
    fs.writeFileSync(file, await res.text());
    try {
      const { stdout } = await promisify(execFile)(process.execPath, [path.join(repoRoot, 'bin/sweeplab.mjs'), 'run-operation', path.basename(file), '--json'], {
        cwd: repoRoot,
        env: { ...process.env, SWEEPLAB_DATA_ROOT: repoRoot },
      });
      assert.deepEqual(JSON.parse(stdout).metrics, best.metrics);
    } finally {
      fs.rmSync(file, { force: true });
    }
  });

  test('pause and cancel of a completed sweep are 409', async () => {
    for (const action of ['pause', 'cancel']) {
      const res = await app.request(`/api/sweeps/${id}/${action}`, { method: 'POST' });
      assert.equal(res.status, 409, action);
      assert.match((await errorOf(res)).reason, /is completed; only a running sweep can/);
    }
  });

  test('its robustness statistics are stored on completion, and a POST recomputes the same figures', async () => {
    const stored = await getJson(`/api/sweeps/${id}/statistics`);
    const view = await getJson(`/api/sweeps/${id}`);
    assert.equal(stored.best.idx, view.best.idx, 'the statistics are about the best row the sweep shows');
    assert.equal(stored.partial, false);
    assert.equal(stored.dsr.trials, 480, 'every operation that ran is a trial');
    assert.equal(stored.readings.length, 4);
    assert.match(stored.readings[0], /^PBO \d\.\d\d: /);
    const again = await getJson(`/api/sweeps/${id}/statistics`, { method: 'POST' });
    const figures = (s: any) => ({ ...s, computed_at: null, elapsed_ms: null });
    assert.deepEqual(figures(again), figures(stored), 'deterministic: the same store gives the same statistics');
  });

  test('the list shows the sweep with its counts', async () => {
    const list = await getJson('/api/sweeps?kind=optimization');
    const row = list.rows.find((r: { id: string }) => r.id === id);
    assert.ok(row, 'listed');
    assert.equal(row.status, 'completed');
    assert.equal(row.done + row.failed, 480);
  });
});

describe('a variant test submitted as a YAML document', () => {
  const yaml = [
    'variant_config:',
    '  name: api exit study',
    '  base_operation: examples/operation.yaml',
    '  variants:',
    '    - { name: Baseline, overrides: {} }',
    '    - { name: Hoge RR, overrides: { analysis_workers: { exit_planning: [ { plugin: atr_exit, params: { risk_reward_ratio: 3 } } ] } } }',
    '    - { name: Andere Exit, overrides: { analysis_workers: { exit_planning: [ { plugin: fixed_percentage_exit, params: { stop_pct: 2, target_pct: 4 } } ] } } }',
    '',
  ].join('\n');

  test('has three equity series sampled at the same timestamps', async () => {
    const id = await submit('variant-tests', yaml, YAML_TYPE);
    await waitCompleted(id);
    const eq = await getJson(`/api/sweeps/${id}/equity?points=200`);
    assert.deepEqual(
      eq.series.map((s: { params: { variant: string } }) => s.params.variant),
      ['Baseline', 'Hoge RR', 'Andere Exit'],
    );
    const refused = await app.request(`/api/sweeps/${id}/statistics`, { method: 'POST' });
    assert.equal(refused.status, 409, 'the statistics are for optimizations');
    assert.match((await errorOf(refused)).reason, /for optimizations/);
    assert.equal((await app.request(`/api/sweeps/${id}/statistics`)).status, 404);
    const curves = await new FullResults(stack.store, repoRoot).of(id, eq.series.map((s: { hash: string }) => s.hash));
    const picks = sampleIndices(curves[0]!.result.equity.t.length, 200);
    assert.deepEqual(eq.t, picks.map((i) => curves[0]!.result.equity.t[i]));
    curves.forEach((curve, n) => {
      assert.deepEqual(curve.result.equity.t, curves[0]!.result.equity.t, 'all variants share their bars');
      assert.deepEqual(eq.series[n].equity, picks.map((i) => curve.result.equity.v[i]));
      assert.deepEqual(eq.series[n].drawdown, picks.map((i) => curve.result.drawdown.v[i]));
    });
  });
});

describe('bad requests', () => {
  test('invalid YAML is a 400 naming the line', async () => {
    const res = await app.request('/api/optimizations', { method: 'POST', headers: YAML_TYPE, body: 'optimization_config:\n  name: [x\n  base_operation: y\n' });
    assert.equal(res.status, 400);
    const error = await errorOf(res);
    assert.equal(error.file, 'request body');
    assert.match(error.field, /^line \d+, column \d+$/);
  });

  test('malformed JSON is a 400', async () => {
    const res = await app.request('/api/optimizations', { method: 'POST', headers: JSON_TYPE, body: '{"path": ' });
    assert.equal(res.status, 400);
    assert.match((await errorOf(res)).reason, /^is not valid JSON/);
  });

  test('a body that is not UTF-8 is a 400', async () => {
    const res = await app.request('/api/optimizations', { method: 'POST', headers: YAML_TYPE, body: Buffer.from([0x61, 0x3a, 0x20, 0xc3, 0x28]) });
    assert.equal(res.status, 400);
    assert.match((await errorOf(res)).reason, /UTF-8/);
  });

  test('a bad field is a 422 naming the field, with the message the CLI prints', async () => {
    const doc = fs.readFileSync(path.join(repoRoot, 'examples/optimization.yaml'), 'utf8').replace('base_operation: operation.yaml', 'base_operation: examples/operation.yaml').replace('primary_metric: sharpe_ratio', 'primary_metric: sharpness');
    const res = await app.request('/api/optimizations', { method: 'POST', headers: YAML_TYPE, body: doc });
    assert.equal(res.status, 422);
    const error = await errorOf(res);
    assert.equal(error.field, 'optimization_config.optimization_targets.primary_metric');
    assert.equal(error.message, `request body: ${error.field}: ${error.reason}`);
  });

  test('a path outside the workspace is refused', async () => {
    const res = await app.request('/api/variant-tests', { method: 'POST', headers: JSON_TYPE, body: JSON.stringify({ path: '../../etc/passwd' }) });
    assert.equal(res.status, 422);
    assert.equal((await errorOf(res)).field, 'path');
  });

  test('a body over 1 MiB is a 413 and the server keeps serving', async () => {
    const res = await app.request('/api/optimizations', { method: 'POST', headers: YAML_TYPE, body: `# ${'x'.repeat(1024 * 1024)}\n` });
    assert.equal(res.status, 413);
    assert.equal((await app.request('/api/health')).status, 200);
  });

  test('an unknown sweep is a 404', async () => {
    const res = await app.request('/api/sweeps/no-such-sweep');
    assert.equal(res.status, 404);
  });
});

describe('auth', () => {
  const token = 'open-sesame';
  const secured = () => createApp({ sweeps: stack.sweeps, store: stack.store, dataRoot: stack.dataRoot, token });

  test('refuses a missing or wrong token with 401', async () => {
    const api = secured();
    assert.equal((await api.request('/api/sweeps')).status, 401);
    assert.equal((await api.request('/api/sweeps', { headers: { Authorization: 'Bearer nope' } })).status, 401);
    assert.equal((await api.request('/api/optimizations', { method: 'POST', headers: JSON_TYPE, body: '{}' })).status, 401);
  });

  test('accepts the right token', async () => {
    const res = await secured().request('/api/sweeps', { headers: { Authorization: `Bearer ${token}` } });
    assert.equal(res.status, 200);
  });

  test('leaves health and the page open', async () => {
    const api = secured();
    assert.equal((await api.request('/api/health')).status, 200);
    assert.equal((await api.request('/')).status, 200);
    assert.equal((await api.request('/app.js')).status, 200);
  });
});

test('health reports both dependencies ok', async () => {
  assert.deepEqual(await getJson('/api/health'), { ok: true, temporal: 'ok', store: 'ok' });
});

test('the OpenAPI document lists every route', async () => {
  const doc = await getJson('/api/openapi.json');
  assert.deepEqual(Object.keys(doc.paths).sort(), [
    '/api/health',
    '/api/operations/{hash}',
    '/api/optimizations',
    '/api/sweeps',
    '/api/sweeps/{id}',
    '/api/sweeps/{id}/cancel',
    '/api/sweeps/{id}/equity',
    '/api/sweeps/{id}/heatmap',
    '/api/sweeps/{id}/pause',
    '/api/sweeps/{id}/results',
    '/api/sweeps/{id}/resume',
    '/api/sweeps/{id}/statistics',
    '/api/variant-tests',
    '/api/walk-forwards',
    '/api/walk-forwards/{id}',
    '/api/walk-forwards/{id}/equity',
    '/api/walk-forwards/{id}/windows',
  ]);
});
