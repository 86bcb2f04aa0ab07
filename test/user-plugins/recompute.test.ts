import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { createApp } from '../../src/api/app.js';
import { runMaterializedOperation } from '../../src/services/run-operation.js';
import { Sweeps } from '../../src/client/sweeps.js';
import { operationHash } from '../../src/config/hash.js';
import { loadOptimizationFile } from '../../src/intake/load.js';
import { operationAt } from '../../src/config/operation-at.js';
import { optimizationSpec, paramNames, type OptimizationSpec } from '../../src/config/sweep.js';
import { openStore } from '../../src/store/index.js';
import type { Store } from '../../src/store/types.js';
import { bundleWorkspacePlugins, pluginSetFromBundle } from '../../src/user-plugins/index.js';
import { chaosPlugin, EXITED, makeWorkspace, sweepFiles } from './workspace.js';

/*
 * A stored sweep's plugin code run again outside its backtest slots, for the page's curves and
 * trades and for an operation's YAML, runs in a contained thread with the sweep's limits: code that
 * ends its thread, floods memory, throws a string or never returns answers a 4xx naming the plugin
 * within max_operation_seconds, and the API goes on answering. The sweep is written into a real
 * SQLite store as a worker leaves it (metrics, no curves); Temporal is never asked.
 */

const LIMITS = 'max_operation_seconds: 2, max_operation_memory_mb: 64';
const NO_TEMPORAL = '127.0.0.1:1';
/** Grid periods by idx: 10 behaves, 11–14 misbehave when run (chaosPlugin). */
const PERIODS = [10, 11, 12, 13, 14];
/** The row of sweep "hang", whose stored bundle never finishes loading. */
const HANG_HASH = 'e'.repeat(64);

let workspace: string;
let store: Store;
let connection: Connection;
let app: ReturnType<typeof createApp>;
let spec: OptimizationSpec;
let hashes: string[];
/** What operation idx 0 gives run in this process: what the contained recompute must give too. */
let direct: ReturnType<typeof runMaterializedOperation>;

before(async () => {
  workspace = fs.realpathSync(makeWorkspace({ 'plugins/chaos.ts': chaosPlugin('chaos'), ...sweepFiles('chaos', PERIODS, LIMITS) }, { plugins: false }));
  const bundle = bundleWorkspacePlugins(workspace)!;
  const plugins = pluginSetFromBundle(bundle);
  const loaded = loadOptimizationFile(path.join(workspace, 'opt-chaos.yaml'), { dataRoot: workspace });
  spec = { ...optimizationSpec(loaded), file: 'opt-chaos.yaml', plugin_bundle: bundle.hash };
  store = await openStore({ url: `sqlite:${path.join(workspace, 'store.db')}` });
  await store.migrate();
  await store.savePluginBundle(bundle);
  await store.createSweep({ id: 's', kind: 'optimization', name: spec.name, total: PERIODS.length, primary_metric: spec.primary_metric, spec, param_names: paramNames(spec) });
  direct = runMaterializedOperation(operationAt(spec, 0, plugins).op, { dataRoot: workspace, file: 'direct', plugins });
  hashes = PERIODS.map((_, idx) => operationHash(operationAt(spec, idx, plugins).op, plugins));
  const row = (sweep_id: string, idx: number, hash: string) => ({ sweep_id, idx, hash, params: { period: PERIODS[idx]! }, status: 'done' as const, error: null, metrics: direct.metrics, duration_ms: 1, blocks: null });
  await store.recordOperations(hashes.map((hash, idx) => row('s', idx, hash)));
  // The same sweep whose code's top level never returns (no submission lets one through; a store
  // may hold one all the same). Bundling does not run it; the test never loads it here.
  const hanging = fs.realpathSync(makeWorkspace({ 'plugins/chaos.ts': chaosPlugin('chaos').replace('export const plugin', 'for (;;) {}\nexport const plugin') }, { plugins: false }));
  const hangBundle = bundleWorkspacePlugins(hanging)!;
  fs.rmSync(hanging, { recursive: true, force: true });
  await store.savePluginBundle(hangBundle);
  await store.createSweep({ id: 'hang', kind: 'optimization', name: spec.name, total: 1, primary_metric: spec.primary_metric, spec: { ...spec, plugin_bundle: hangBundle.hash }, param_names: paramNames(spec) });
  await store.recordOperations([row('hang', 0, HANG_HASH)]);
  connection = Connection.lazy({ address: NO_TEMPORAL });
  app = createApp({ sweeps: new Sweeps(new Client({ connection }), store, 'recompute-never-polled'), store, dataRoot: workspace });
});

after(async () => {
  await connection?.close();
  await store?.close();
  if (workspace) fs.rmSync(workspace, { recursive: true, force: true });
});

/** GET `url`: its status, its error as one line (file: field: reason) or null, and how long it took. */
async function get(url: string): Promise<{ status: number; error: string | null; body: unknown; ms: number }> {
  const started = performance.now();
  const res = await app.request(url);
  const ms = performance.now() - started;
  const text = await res.text();
  const body = res.headers.get('Content-Type')?.includes('json') ? (JSON.parse(text) as unknown) : text;
  const error = (body as { error?: { file: string; field: string; reason: string } }).error;
  return { status: res.status, error: error ? `${error.file}${error.field ? `: ${error.field}` : ''}: ${error.reason}` : null, body, ms };
}

describe('curves and trades of a sweep with plugin code, recomputed for the page', () => {
  test('an operation that behaves is recomputed in a contained thread exactly as it runs in this process', async () => {
    const { status, body } = await get('/api/sweeps/s/equity?ids=0');
    assert.equal(status, 200, JSON.stringify(body));
    const { series } = body as { series: Array<{ idx: number; equity: number[] }> };
    assert.deepEqual(
      series.map((s) => [s.idx, s.equity.at(-1)]),
      [[0, direct.equity.v.at(-1)]],
    );
  });

  test('a thrown string answers 422 naming the plugin', async () => {
    const { status, error } = await get('/api/sweeps/s/equity?ids=3');
    assert.equal(status, 422);
    assert.equal(error, 'plugins/chaos.ts: plugin "chaos" threw "a string", which is not an Error (throw new Error(…) to say where and why)');
  });

  test('an allocation loop answers 422 at the sweep memory ceiling', async () => {
    const { status, error } = await get('/api/sweeps/s/equity?ids=2');
    assert.equal(status, 422);
    assert.equal(error, 'plugins/chaos.ts: plugin "chaos" exceeded the memory ceiling of 64 MB (parallel_config.max_operation_memory_mb) while operation 2 was recomputed');
  });

  test('an endless loop answers 422 after max_operation_seconds', async () => {
    const { status, error, ms } = await get('/api/sweeps/s/equity?ids=4');
    assert.equal(status, 422);
    assert.equal(error, 'opt-chaos.yaml: parallel_config.max_operation_seconds: plugin "chaos" did not finish within 2 s while operation 4 was recomputed (a plugin that never returns?)');
    assert.ok(ms < 20_000, `answered in ${Math.round(ms)} ms`);
  });

  test('process.exit answers 422 naming the plugin, and the API goes on answering', async () => {
    const { status, error } = await get('/api/sweeps/s/equity?ids=1');
    assert.equal(status, 422);
    assert.match(error!, EXITED);
    assert.equal((await get('/api/sweeps/s/equity?ids=0')).status, 200);
  });
});

describe('a sweep whose stored plugin code never finishes loading', () => {
  const LOADING = 'plugins/chaos.ts: did not finish loading within 2 s (parallel_config.max_operation_seconds); does code at its top level never return?';

  test("its curves answer 422 after max_operation_seconds", async () => {
    const { status, error, ms } = await get('/api/sweeps/hang/equity?ids=0');
    assert.equal(status, 422);
    assert.equal(error, LOADING);
    assert.ok(ms < 20_000, `answered in ${Math.round(ms)} ms`);
  });

  test("an operation's YAML answers 422 after max_operation_seconds; another sweep's is served", async () => {
    const { status, error, ms } = await get(`/api/operations/${HANG_HASH}`);
    assert.equal(status, 422);
    assert.equal(error, LOADING);
    assert.ok(ms < 20_000, `answered in ${Math.round(ms)} ms`);
    const served = await get(`/api/operations/${hashes[0]}`);
    assert.equal(served.status, 200);
    assert.match(served.body as string, /plugin: chaos/);
  });
});
