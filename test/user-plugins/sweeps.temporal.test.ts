import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createApp } from '../../src/api/app.js';
import { loadOptimizationFile } from '../../src/intake/load.js';
import { optimizationSpec } from '../../src/config/sweep.js';
import type { ResultRow } from '../../src/store/types.js';
import type { SweepOutcome } from '../../src/workflows/types.js';
import type { Stack } from '../helpers/stack.js';
import { startRemoteStack, type RemoteStack } from './remote-stack.js';
import { uniqueId } from '../helpers/temporal.js';
import { makeWorkspace, MOMENTUM, signalPlugin, sweepFiles } from './workspace.js';

/*
 * Sweeps of user plugins on the real stack: a Temporal dev server, a worker in this process and a
 * SQLite store. The worker's data root is a "remote host": a folder with the data but no plugins
 * folder, so every operation runs with code the worker fetched from the store by hash. The API
 * submits from the workspace, which has the plugins.
 */

const MOODY = signalPlugin('moody', `if (p.period === 40) for (;;) {}\n    if (p.period === 30) throw new Error('thirty');\n    ${MOMENTUM}`);

/** The example operation (built-ins) against the same with the workspace's roc_momentum swapped in. */
const VAR_SWAP = `variant_config:
  name: swap
  base_operation: operation.yaml
  variants:
    - { name: SMA, overrides: {} }
    - { name: ROC, overrides: { analysis_workers: { signal_generation: [ { plugin: roc_momentum, params: { period: 35 } } ] } } }
`;

let stack: Stack;
let workspace: string;
let remote: string;
let stop: RemoteStack['stop'] | undefined;
let app: ReturnType<typeof createApp>;

before(async () => {
  workspace = makeWorkspace({ 'plugins/moody.ts': MOODY, 'var-swap.yaml': VAR_SWAP, ...sweepFiles('moody', [10, 20, 30, 40], 'max_operation_seconds: 3') });
  ({ stack, app, remote, stop } = await startRemoteStack(workspace));
});

after(async () => {
  await stop?.();
});

async function submit(kind: 'optimizations' | 'variant-tests', file: string): Promise<string> {
  const res = await app.request(`/api/${kind}?id=${uniqueId('plugins')}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ path: file }) });
  assert.equal(res.status, 202, await res.clone().text());
  return ((await res.json()) as { id: string }).id;
}

async function outcome(id: string): Promise<SweepOutcome> {
  return (await stack.temporal.client.workflow.getHandle(id).result()) as SweepOutcome;
}

async function rows(id: string): Promise<ResultRow[]> {
  const res = await app.request(`/api/sweeps/${id}/results?sort=idx&order=asc&limit=1000`);
  assert.equal(res.status, 200);
  return ((await res.json()) as { rows: ResultRow[] }).rows;
}

describe('a sweep over a user plugin', () => {
  test("sweeps the plugin's params on a worker that has no plugins folder", async () => {
    assert.equal(fs.existsSync(path.join(remote, 'plugins')), false);
    const id = await submit('optimizations', 'optimization_momentum.yaml');
    const done = await outcome(id);
    assert.equal(done.completed, 20);
    assert.equal(done.failed, 0);
    const all = await rows(id);
    assert.deepEqual(
      all.map((r) => r.params),
      [10, 20, 40, 60, 120].flatMap((period) => [2.5, 5, 7.5, 10].map((threshold_pct) => ({ period, threshold_pct }))),
    );

    const yaml = await (await app.request(`/api/operations/${all[0].hash}`)).text();
    const codeHash = /plugins\/roc_momentum\.ts: ([0-9a-f]{64})/.exec(yaml)?.[1];
    assert.ok(codeHash, `the served operation names its plugin code:\n${yaml}`);
    const sweep = await stack.store.getSweep(id);
    const bundleHash = (sweep!.spec as { plugin_bundle: string }).plugin_bundle;
    assert.match(bundleHash, /^[0-9a-f]{64}$/);
    assert.ok((await stack.store.getPluginBundle(bundleHash))!.includes('roc_momentum'), 'the bundle is in the store');
  });

  test('edit and rerun: operations on changed code run again, those on unchanged code are reused', async () => {
    const first = await outcome(await submit('variant-tests', 'var-swap.yaml'));
    assert.deepEqual([first.completed, first.executed], [2, 2]);
    const again = await outcome(await submit('variant-tests', 'var-swap.yaml'));
    assert.deepEqual([again.executed, again.reused], [0, 2], 'nothing changed: both reused');

    fs.appendFileSync(path.join(workspace, 'plugins/lib/rate-of-change.ts'), '\n// edited: a local import of roc_momentum\n');
    const edited = await outcome(await submit('variant-tests', 'var-swap.yaml'));
    assert.deepEqual([edited.completed, edited.executed, edited.reused], [2, 1, 1], 'the roc_momentum variant ran again, the sma_cross one was reused');
  });

  test('a plugin that throws or never returns fails its operation alone; the rest goes on', async () => {
    const id = await submit('optimizations', 'opt-moody.yaml');
    const done = await outcome(id);
    assert.deepEqual([done.completed, done.failed], [2, 2]);
    const byPeriod = Object.fromEntries((await rows(id)).map((r) => [r.params.period, r]));
    assert.equal(byPeriod[10].status, 'done');
    assert.equal(byPeriod[20].status, 'done');
    const line = MOODY.split('\n').findIndex((l) => l.includes("new Error('thirty')")) + 1;
    assert.match(byPeriod[30].error!, new RegExp(`^plugins/moody\\.ts:${line}:\\d+: plugin "moody" threw Error: thirty$`));
    assert.equal(byPeriod[40].error, 'opt-moody.yaml: parallel_config.max_operation_seconds: stopped after 3 s without finishing (a plugin that never returns?); its backtest slot was restarted');
  });
});

describe('bad plugin code over the API', () => {
  test('a compile error is a 422 naming file:line:column, and nothing is submitted', async () => {
    const broken = makeWorkspace({ 'plugins/broken.ts': 'export const x = ;\n' });
    try {
      const brokenApp = createApp({ sweeps: stack.sweeps, store: stack.store, dataRoot: broken });
      const before = (await stack.store.listSweeps({})).total;
      const res = await brokenApp.request('/api/optimizations', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ path: 'optimization.yaml' }) });
      assert.equal(res.status, 422);
      const { error } = (await res.json()) as { error: { file: string; reason: string } };
      assert.deepEqual(error.file, 'plugins/broken.ts:1:18');
      assert.equal(error.reason, 'does not compile: Unexpected ";"');
      assert.equal((await stack.store.listSweeps({})).total, before);
    } finally {
      fs.rmSync(broken, { recursive: true, force: true });
    }
  });

  test('a plugin that looks ahead is a 422 naming the plugin and the bar', async () => {
    const peeking = makeWorkspace({
      'plugins/peek.ts': signalPlugin('peek', 'for (let i = p.period; i < bars.length - 1; i++) events[i] = close[i + 1] > close[i] ? 1 : -1;'),
      ...sweepFiles('peek', [10, 20]),
    });
    try {
      const peekingApp = createApp({ sweeps: stack.sweeps, store: stack.store, dataRoot: peeking });
      const res = await peekingApp.request('/api/optimizations', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ path: 'opt-peek.yaml' }) });
      assert.equal(res.status, 422);
      const { error } = (await res.json()) as { error: { file: string; reason: string } };
      assert.equal(error.file, 'blueprints/peek.yaml');
      assert.match(error.reason, /^plugin "peek" looks ahead: its output at bar \d+ /);
    } finally {
      fs.rmSync(peeking, { recursive: true, force: true });
    }
  });
});

describe('a worker and plugin code of another hash', () => {
  test('a sweep whose stored bundle does not match its hash fails without running anything', async () => {
    const spec = optimizationSpec(loadOptimizationFile(path.join(workspace, 'optimization_momentum.yaml'), { dataRoot: workspace }));
    // The sweep names a hash whose stored text is something else entirely.
    const fake = 'f'.repeat(64);
    await stack.store.savePluginBundle({ hash: fake, text: '{"format":1,"files":[]}' });
    const id = uniqueId('tampered');
    await stack.sweeps.submit({ ...spec, plugin_bundle: fake }, { id });
    await assert.rejects(outcome(id), (err: Error) => /hashes to "[0-9a-f]{64}", not to its name; refusing to run it/.test(`${err.message} ${(err.cause as Error | undefined)?.message ?? ''}`));
    assert.equal((await stack.store.queryResults(id, {})).total, 0);
  });
});
