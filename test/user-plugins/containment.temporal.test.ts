import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { createApp } from '../../src/api/app.js';
import type { ResultRow } from '../../src/store/types.js';
import type { SweepOutcome } from '../../src/workflows/types.js';
import type { Stack } from '../helpers/stack.js';
import { startRemoteStack, type RemoteStack } from './remote-stack.js';
import { uniqueId } from '../helpers/temporal.js';
import { chaosPlugin, EXITED, makeWorkspace, MOMENTUM, signalPlugin, sweepFiles } from './workspace.js';

/*
 * Plugin code that ends its thread, floods memory, throws a string or never returns for one swept
 * value, on the real stack (a Temporal dev server, a worker in this process, a SQLite store): that
 * operation alone fails with the reason, the other seven are stored, and the sweep completes. At
 * submission over the API the same code is a 422 naming it, and the API goes on answering. Limits
 * are small (2 s, 64 MB) to keep the tests quick.
 */

const LIMITS = 'max_operation_seconds: 2, max_operation_memory_mb: 64';
const WELL = [10, 15, 20, 25, 30, 35, 40];

/** A variant test of the chaos blueprint (period 10) against the same at `period`. */
const variants = (period: number) => `variant_config:
  name: chaos race
  base_operation: op-chaos.yaml
  variants:
    - { name: Base, overrides: {} }
    - { name: Odd, overrides: { analysis_workers: { signal_generation: [ { plugin: chaos, params: { period: ${period} } } ] } } }
  parallel_config: { ${LIMITS} }
`;

let stack: Stack;
let workspace: string;
let app: ReturnType<typeof createApp>;
let stop: RemoteStack['stop'] | undefined;

before(async () => {
  const files: Record<string, string> = { 'plugins/chaos.ts': chaosPlugin('chaos') };
  for (const odd of [11, 12, 13, 14]) {
    for (const [file, text] of Object.entries(sweepFiles('chaos', [...WELL, odd], LIMITS))) files[file.replace('opt-chaos', `opt-chaos-${odd}`)] = text;
    files[`var-chaos-${odd}.yaml`] = variants(odd);
  }
  // Every swept value misbehaves; the blueprint's own period (10, what submission checks) does not.
  files['opt-chaos-all.yaml'] = sweepFiles('chaos', [11, 12, 13, 14], LIMITS)['opt-chaos.yaml']!;
  workspace = makeWorkspace(files, { plugins: false });
  ({ stack, app, stop } = await startRemoteStack(workspace));
});

after(async () => {
  await stop?.();
});

async function post(kind: 'optimizations' | 'variant-tests', file: string, on = app): Promise<Response> {
  return on.request(`/api/${kind}?id=${uniqueId('contained')}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ path: file }) });
}

/** Runs opt-chaos-<odd>.yaml (8 periods, `odd` misbehaving) to its end: the outcome and the odd row's error. */
async function sweepWithOdd(odd: number): Promise<{ outcome: SweepOutcome; error: string | null; done: number }> {
  const res = await post('optimizations', `opt-chaos-${odd}.yaml`);
  assert.equal(res.status, 202, await res.clone().text());
  const { id } = (await res.json()) as { id: string };
  const outcome = (await stack.temporal.client.workflow.getHandle(id).result()) as SweepOutcome;
  const rows = ((await (await app.request(`/api/sweeps/${id}/results?sort=idx&order=asc&limit=100`)).json()) as { rows: ResultRow[] }).rows;
  const oddRow = rows.find((r) => r.params.period === odd)!;
  assert.equal(oddRow.status, 'failed');
  assert.equal((await stack.sweeps.view(id)).status, 'completed');
  return { outcome, error: oddRow.error, done: rows.filter((r) => r.status === 'done').length };
}

describe('a sweep where one swept value misbehaves', () => {
  test('process.exit(0) in create fails that operation alone; the sweep completes with the other seven', async () => {
    const { outcome, error, done } = await sweepWithOdd(11);
    assert.deepEqual([outcome.completed, outcome.failed, done], [7, 1, 7]);
    assert.match(error!, EXITED);
  });

  test('an allocation loop fails that operation at the memory ceiling; the sweep completes with the other seven', async () => {
    const { outcome, error, done } = await sweepWithOdd(12);
    assert.deepEqual([outcome.completed, outcome.failed, done], [7, 1, 7]);
    assert.equal(error, 'opt-chaos-12.yaml: parallel_config.max_operation_memory_mb: plugin "chaos" exceeded the memory ceiling of 64 MB (parallel_config.max_operation_memory_mb); its backtest slot was restarted');
  });

  test('a thrown string fails that operation; the sweep completes with the other seven', async () => {
    const { outcome, error, done } = await sweepWithOdd(13);
    assert.deepEqual([outcome.completed, outcome.failed, done], [7, 1, 7]);
    assert.equal(error, 'plugins/chaos.ts: plugin "chaos" threw "a string", which is not an Error (throw new Error(…) to say where and why)');
  });

  test('for (;;) in create fails that operation after max_operation_seconds; the sweep completes with the other seven', async () => {
    const { outcome, error, done } = await sweepWithOdd(14);
    assert.deepEqual([outcome.completed, outcome.failed, done], [7, 1, 7]);
    assert.equal(error, 'opt-chaos-14.yaml: parallel_config.max_operation_seconds: stopped after 2 s without finishing (a plugin that never returns?); its backtest slot was restarted');
  });
});

test('a sweep whose every operation misbehaves completes with every row failed', async () => {
  const res = await post('optimizations', 'opt-chaos-all.yaml');
  assert.equal(res.status, 202, await res.clone().text());
  const { id } = (await res.json()) as { id: string };
  const outcome = (await stack.temporal.client.workflow.getHandle(id).result()) as SweepOutcome;
  assert.deepEqual([outcome.completed, outcome.failed], [0, 4]);
  assert.equal((await stack.sweeps.view(id)).status, 'completed');
  const rows = ((await (await app.request(`/api/sweeps/${id}/results?sort=idx&order=asc&limit=100`)).json()) as { rows: ResultRow[] }).rows;
  assert.deepEqual(rows.map((r) => r.status), ['failed', 'failed', 'failed', 'failed']);
});

describe('plugin code that misbehaves at submission over the API', () => {
  async function refused(kind: 'optimizations' | 'variant-tests', file: string, on = app): Promise<string> {
    const started = performance.now();
    const res = await post(kind, file, on);
    assert.equal(res.status, 422, await res.clone().text());
    assert.ok(performance.now() - started < 30_000, 'refused within the limits, not after a hang');
    const { error } = (await res.json()) as { error: { file: string; field: string; reason: string } };
    return `${error.file}${error.field ? `: ${error.field}` : ''}: ${error.reason}`;
  }

  test('a variant whose plugin calls process.exit(0) is a 422, and the API goes on answering', async () => {
    assert.match(await refused('variant-tests', 'var-chaos-11.yaml'), EXITED);
    assert.equal((await app.request('/api/sweeps')).status, 200);
  });

  test('a variant whose plugin allocates without end is a 422 at the memory ceiling', async () => {
    assert.equal(await refused('variant-tests', 'var-chaos-12.yaml'), 'plugins/chaos.ts: plugin "chaos" exceeded the memory ceiling of 64 MB (parallel_config.max_operation_memory_mb) while the submission was checked');
  });

  test('a variant whose plugin throws a string is a 422 naming the plugin', async () => {
    assert.equal(await refused('variant-tests', 'var-chaos-13.yaml'), 'plugins/chaos.ts: plugin "chaos" threw "a string", which is not an Error (throw new Error(…) to say where and why)');
  });

  test('a variant whose plugin never returns from create is a 422 after max_operation_seconds', async () => {
    assert.match(await refused('variant-tests', 'var-chaos-14.yaml'), /^var-chaos-14\.yaml: variant_config\.variants\[1\]\.overrides\.workforce: the operation did not finish within 2 s/);
  });

  test('a plugin file that never finishes loading is a 422 naming the file', async () => {
    const spinning = makeWorkspace({ 'plugins/spin.ts': signalPlugin('spin', MOMENTUM, 'for (;;) {}'), ...sweepFiles('spin', [10], LIMITS) }, { plugins: false });
    try {
      const spinApp = createApp({ sweeps: stack.sweeps, store: stack.store, dataRoot: spinning });
      assert.equal(await refused('optimizations', 'opt-spin.yaml', spinApp), 'plugins/spin.ts: did not finish loading within 2 s (parallel_config.max_operation_seconds); does code at its top level never return?');
    } finally {
      fs.rmSync(spinning, { recursive: true, force: true });
    }
  });
});
