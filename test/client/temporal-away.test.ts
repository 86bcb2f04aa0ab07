import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createApp } from '../../src/api/app.js';
import { Sweeps } from '../../src/client/sweeps.js';
import { loadVariantFile } from '../../src/intake/load.js';
import { operationCount, paramNames, variantTestSpec } from '../../src/config/sweep.js';
import { loadWalkForwardFile } from '../../src/intake/walk-forward.js';
import { openStore } from '../../src/store/index.js';
import type { Store } from '../../src/store/types.js';
import { connectClient } from '../../src/temporal/connection.js';
import { freePort } from '../../src/temporal/dev-server.js';
import { repoRoot, runCli, startProcess, type CliRun } from '../cli/run-cli.js';
import { done, failed } from '../store/fixtures.js';

/*
 * Temporal away: the client points at a port nobody listens on, the results store holds a running
 * variant test (2 of its 3 variants stored, one of them failed) and a running walk-forward. Reads
 * answer from the store at once, flagged; control answers 503; the CLI's status and list exit 0.
 */

/** "Within a second", with room for a loaded machine. */
const READ_MS = 1_500;

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sweeplab-away-'));
const databaseUrl = `sqlite:${path.join(dir, 'store.db')}`;
const variantId = 'var-away-1';
const walkForwardId = 'wf-away-1';
let address: string;
let store: Store;
let sweeps: Sweeps;
let closeConnection: () => Promise<void>;
let app: ReturnType<typeof createApp>;

before(async () => {
  address = `127.0.0.1:${await freePort()}`;
  store = await openStore({ url: databaseUrl });
  await store.migrate();
  const variant = variantTestSpec(loadVariantFile(path.join(repoRoot, 'examples/variant.yaml'), { dataRoot: repoRoot }));
  await store.createSweep({ id: variantId, kind: 'variant_test', name: variant.name, spec: variant, total: operationCount(variant), primary_metric: variant.primary_metric, param_names: paramNames(variant) });
  await store.recordOperations([done(variantId, 0, { variant: 'Baseline' }, { sharpe_ratio: 0.5, total_trades: 40 }), failed(variantId, 2, { variant: 'Andere Exit' })]);
  const { spec: walkForward } = loadWalkForwardFile(path.join(repoRoot, 'examples/walk_forward.yaml'), { dataRoot: repoRoot });
  await store.createSweep({
    id: walkForwardId,
    kind: 'walk_forward',
    name: walkForward.name,
    spec: walkForward,
    total: walkForward.windows.length,
    primary_metric: walkForward.optimization.primary_metric,
    param_names: paramNames(walkForward.optimization),
  });
  const { client, connection } = await connectClient(address);
  closeConnection = () => connection.close();
  sweeps = new Sweeps(client, store, 'nobody');
  app = createApp({ sweeps, store, dataRoot: repoRoot });
});

after(async () => {
  await closeConnection?.();
  await store?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function timed(request: () => Promise<Response> | Response): Promise<{ res: Response; ms: number }> {
  const started = performance.now();
  const res = await request();
  return { res, ms: performance.now() - started };
}

const NOTE = /^live figures unavailable: Temporal at 127\.0\.0\.1:\d+ is unreachable \(.+\); status and counts from the results store$/;

describe('the API while Temporal is unreachable', () => {
  test('a sweep answers 200 from the store within a second, flagged unreachable, with its stored counts', async () => {
    const { res, ms } = await timed(() => app.request(`/api/sweeps/${variantId}`));
    assert.ok(ms < READ_MS, `answered after ${Math.round(ms)} ms`);
    assert.equal(res.status, 200);
    const view = (await res.json()) as Record<string, unknown>;
    assert.deepEqual(
      { status: view.status, total: view.total, done: view.done, failed: view.failed, temporal: view.temporal, workflow_status: view.workflow_status, progress: view.progress },
      { status: 'running', total: 3, done: 1, failed: 1, temporal: 'unreachable', workflow_status: null, progress: null },
    );
    assert.match(view.note as string, NOTE);
    assert.deepEqual(view.best, { idx: 0, hash: `${variantId}-h0`, params: { variant: 'Baseline' }, value: 0.5, total_trades: 40 }, 'the best stored row');
  });

  test('the list answers 200 within a second, its running sweeps flagged', async () => {
    const { res, ms } = await timed(() => app.request('/api/sweeps'));
    assert.ok(ms < READ_MS, `answered after ${Math.round(ms)} ms`);
    assert.equal(res.status, 200);
    const { rows } = (await res.json()) as { rows: Array<{ id: string; temporal: string; done: number; failed: number }> };
    assert.deepEqual(
      rows.map((r) => [r.id, r.temporal, r.done, r.failed]).sort(),
      [
        [variantId, 'unreachable', 1, 1],
        [walkForwardId, 'unreachable', 0, 0],
      ],
    );
  });

  test('a walk-forward answers 200 within a second with its stored windows, flagged', async () => {
    const { res, ms } = await timed(() => app.request(`/api/walk-forwards/${walkForwardId}`));
    assert.ok(ms < READ_MS, `answered after ${Math.round(ms)} ms`);
    assert.equal(res.status, 200);
    const { sweep, report } = (await res.json()) as { sweep: { temporal: string; kind: string }; report: { windows: Array<{ status: string }> } };
    assert.deepEqual([sweep.kind, sweep.temporal], ['walk_forward', 'unreachable']);
    assert.ok(report.windows.length > 0 && report.windows.every((w) => w.status === 'pending'), 'every window pending');
  });

  test('pause, resume, cancel and a submission answer 503 naming Temporal and its address', async () => {
    const responses = await Promise.all([
      ...(['pause', 'resume', 'cancel'] as const).map((action) => app.request(`/api/sweeps/${variantId}/${action}`, { method: 'POST' })),
      app.request('/api/variant-tests', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ path: 'examples/variant.yaml' }) }),
    ]);
    for (const res of responses) {
      assert.equal(res.status, 503, res.url);
      const { error } = (await res.json()) as { error: { message: string } };
      assert.match(error.message, new RegExp(`^Temporal at ${address.replace(/\./g, '\\.')} is unreachable \\(.+\\); start it with \`sweeplab up\`, or point TEMPORAL_ADDRESS at a running server$`));
    }
    assert.deepEqual((await store.listSweeps({})).total, 2, 'nothing was submitted');
  });

  test('an id the store does not know answers 503: whether Temporal has it cannot be told', async () => {
    const { res, ms } = await timed(() => app.request('/api/sweeps/opt-unknown-1'));
    assert.ok(ms < READ_MS, `answered after ${Math.round(ms)} ms`);
    assert.equal(res.status, 503);
  });

  test('health answers 503 naming why Temporal is unreachable, the store ok', async () => {
    const res = await app.request('/api/health');
    assert.equal(res.status, 503);
    const body = (await res.json()) as { ok: boolean; temporal: string; store: string };
    assert.deepEqual([body.ok, body.store], [false, 'ok']);
    assert.match(body.temporal, new RegExp(`^Temporal at ${address.replace(/\./g, '\\.')} is unreachable \\(connect ECONNREFUSED ${address.replace(/\./g, '\\.')}\\); `));
  });

  test('the OpenAPI document describes the flag on SweepDetail', async () => {
    const doc = (await (await app.request('/api/openapi.json')).json()) as { components: { schemas: Record<string, { properties?: Record<string, { enum?: string[] }> }> } };
    assert.deepEqual(doc.components.schemas.SweepDetail?.properties?.temporal?.enum, ['ok', 'unreachable', 'not_asked']);
  });
});

describe('the CLI while Temporal is unreachable', () => {
  const env = () => ({ TEMPORAL_ADDRESS: address, DATABASE_URL: databaseUrl, SWEEPLAB_DATA_ROOT: repoRoot });
  /**
   * Both commands as a user runs them, and both timed inside a process of their own (starting Node
   * and loading the modules is not what they wait for), all at once: each process takes seconds to
   * start on a loaded machine.
   */
  let runs: Promise<CliRun[]>;
  before(() => {
    const timed = `
      const { statusCommand } = await import('./src/cli/sweep-commands.ts');
      const { listCommand } = await import('./src/cli/list.ts');
      const ms = [];
      const status = () => statusCommand(${JSON.stringify(variantId)}, {});
      // The first command of a process also opens the store and warms up; the second shows the wait.
      for (const command of [status, status, () => listCommand({})]) {
        const started = performance.now();
        await command();
        ms.push(Math.round(performance.now() - started));
      }
      process.stderr.write(JSON.stringify(ms));
      process.exit(0);`;
    runs = Promise.all([
      runCli(['status', variantId], { cwd: repoRoot, env: env() }),
      runCli(['list'], { cwd: repoRoot, env: env() }),
      startProcess(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', timed], { cwd: repoRoot, env: env() }).result,
    ]);
  });

  test('status exits 0 with the stored counts and a line saying Temporal is unreachable', async () => {
    const [run] = await runs;
    assert.equal(run!.stderr, '');
    assert.equal(run!.code, 0);
    const lines = run!.stdout.trimEnd().split('\n');
    assert.match(lines[0]!, new RegExp(`^${variantId} running 2/3 \\(66\\.7 %\\) failed 1 running 0 `));
    assert.match(lines[1]!.trim(), NOTE);
    assert.equal(lines.length, 2);
  });

  test('list exits 0 with the stored sweeps and a line saying Temporal is unreachable', async () => {
    const [, run] = await runs;
    assert.equal(run!.stderr, '');
    assert.equal(run!.code, 0);
    assert.match(run!.stdout, new RegExp(`${variantId} +variant_test +exit study +running +2/3 \\(66\\.7 %\\)`));
    assert.match(run!.stdout, /\n2 of 2 sweeps\nTemporal at 127\.0\.0\.1:\d+ is unreachable: open sweeps show the results store's status and counts\n$/);
  });

  test('status and list answer within a second once the process runs', async (t) => {
    const [, , run] = await runs;
    assert.equal(run.code, 0, run.stderr);
    const [first, status, list] = JSON.parse(run.stderr) as [number, number, number];
    t.diagnostic(`status took ${first} ms, then ${status} ms; list ${list} ms`);
    assert.ok(status < READ_MS, `status answered after ${status} ms`);
    assert.ok(list < READ_MS, `list answered after ${list} ms`);
  });
});
