import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createActivities } from '../../src/activities/index.js';
import type { BacktestPool } from '../../src/activities/pool.js';
import { createApp } from '../../src/api/app.js';
import { SweepIdTaken } from '../../src/client/sweeps.js';
import { checkSweepId } from '../../src/client/sweep-id.js';
import { isConfigError } from '../../src/config/errors.js';
import { loadOptimizationFile, loadVariantFile } from '../../src/intake/load.js';
import { optimizationSpec, variantTestSpec, type SweepSpec } from '../../src/config/sweep.js';
import { runCli } from '../cli/run-cli.js';
import { cliEnv, repoRoot, startStack, type Stack } from '../helpers/stack.js';
import { uniqueId } from '../helpers/temporal.js';

/*
 * A sweep id names one sweep for good: its rows are keyed by it, so a second sweep under the id of
 * a finished (or cancelled, or store-only) one would merge two sweeps' results. Only `resume` may
 * start a workflow under an existing id, and only with that sweep's own spec.
 */

let stack: Stack;
let app: ReturnType<typeof createApp>;

const load = (kind: 'optimization' | 'variant_test'): SweepSpec =>
  kind === 'optimization'
    ? optimizationSpec(loadOptimizationFile(path.join(repoRoot, 'examples/optimization.yaml'), { dataRoot: repoRoot }))
    : variantTestSpec(loadVariantFile(path.join(repoRoot, 'examples/variant.yaml'), { dataRoot: repoRoot }));

/** Every stored row of a sweep, as the results API would list them, serialized for comparison. */
async function rowsOf(id: string): Promise<string> {
  return JSON.stringify((await stack.store.queryResults(id, { sort: 'idx', order: 'asc' })).rows);
}

function cli(...args: string[]) {
  return runCli(args, {
    cwd: repoRoot,
    env: cliEnv(stack),
    timeoutMs: 120_000,
  });
}

before(async () => {
  stack = await startStack({ concurrency: 2 });
  app = createApp({ sweeps: stack.sweeps, store: stack.store, dataRoot: stack.dataRoot, temporalUiUrl: 'http://ui.example', namespace: stack.temporal.namespace });
});

after(async () => {
  await stack?.stop();
});

describe('the id of a completed optimization', () => {
  let id: string;
  let rows: string;

  before(async () => {
    id = uniqueId('ids-done');
    await stack.sweeps.submit(load('optimization'), { id });
    assert.equal((await stack.sweeps.result(id)).status, 'completed');
    rows = await rowsOf(id);
  });

  test('is refused for a variant test through the client, naming the sweep that has it', async () => {
    await assert.rejects(stack.sweeps.submit(load('variant_test'), { id }), (err: unknown) => {
      assert.ok(err instanceof SweepIdTaken);
      assert.equal(err.message, `id: "${id}" is already the id of a sweep (optimization "sma grid", completed); a new sweep needs an id of its own, and resume continues that one`);
      return true;
    });
  });

  test('is refused for the same optimization again (a rerun is a new sweep or a resume)', async () => {
    await assert.rejects(stack.sweeps.submit(load('optimization'), { id }), SweepIdTaken);
  });

  test('answers 409 over the API and leaves the sweep byte-identical', async () => {
    const res = await app.request(`/api/variant-tests?id=${id}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ path: 'examples/variant.yaml' }),
    });
    assert.equal(res.status, 409, await res.clone().text());
    const { error } = (await res.json()) as { error: { field: string; reason: string } };
    assert.match(error.reason, /is already the id of a sweep \(optimization "sma grid", completed\)/);
    assert.equal(await rowsOf(id), rows, 'no row was added, changed or lost');
    const view = await stack.sweeps.view(id);
    assert.equal(view.kind, 'optimization');
    assert.equal(view.done + view.failed, view.total, `completed ${view.done}/${view.total}, never more`);
  });

  test('exits 2 on the CLI with one line, and submits nothing', async () => {
    const run = await cli('variants', 'examples/variant.yaml', '--id', id);
    assert.equal(run.code, 2, run.stderr);
    assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
    assert.match(run.stderr, /^error: id: ".*" is already the id of a sweep \(optimization "sma grid", completed\)/);
    assert.equal(await rowsOf(id), rows);
  });
});

test('the id of a cancelled sweep is refused for a new sweep, while resume restarts that sweep under it', async () => {
  const id = uniqueId('ids-cancelled');
  const spec = load('optimization');
  spec.parallel = { ...spec.parallel, max_in_flight: 1, operations_per_activity: 1 };
  await stack.sweeps.submit(spec, { id });
  await stack.sweeps.cancel(id);
  assert.equal((await stack.sweeps.result(id)).status, 'cancelled');

  await assert.rejects(stack.sweeps.submit(load('variant_test'), { id }), (err: unknown) => {
    assert.ok(err instanceof SweepIdTaken);
    assert.match(err.message, /\(optimization "sma grid", cancelled\)/);
    return true;
  });
  const resumed = await stack.sweeps.resume(id);
  assert.equal(resumed.restarted, true);
  const done = await stack.sweeps.result(id);
  assert.equal(done.status, 'completed');
  const stored = (await stack.store.queryResults(id, { sort: 'idx', order: 'asc' })).rows;
  assert.equal(stored.length, spec.kind === 'optimization' ? spec.admissible : 0, 'exactly the optimization\'s admissible rows');
  assert.ok(stored.every((r) => 'fast' in r.params && 'slow' in r.params), 'every row is one of this optimization\'s');
});

test('an id only the results store knows (its workflow is gone from Temporal) is refused', async () => {
  const id = uniqueId('ids-store-only');
  const spec = load('variant_test');
  await stack.store.createSweep({ id, kind: spec.kind, name: spec.name, total: 3, primary_metric: spec.primary_metric, spec, param_names: ['variant'] });
  await assert.rejects(stack.sweeps.submit(load('optimization'), { id }), (err: unknown) => {
    assert.ok(err instanceof SweepIdTaken);
    assert.match(err.message, /\(variant test "exit study", running\)/);
    return true;
  });
});

test('a sweep that reaches the worker under a taken id fails for good instead of joining the other sweep', async () => {
  const id = uniqueId('ids-race');
  const first = load('variant_test');
  await stack.store.createSweep({ id, kind: first.kind, name: first.name, total: 3, primary_metric: first.primary_metric, spec: first, param_names: ['variant'] });
  const unused = () => Promise.reject(new Error('not used'));
  const pool: BacktestPool = { threads: 1, hashOperations: unused, runOperations: unused, destroy: async () => {} };
  const activities = createActivities({ store: stack.store, pool, dataRoot: repoRoot });
  await assert.rejects(activities.recordSweepStart({ sweep_id: id, spec: load('optimization'), total: 480 }), /is already the id of another sweep in the results store \(variant test "exit study"\)/);
  // The sweep's own spec (a resume) is welcome.
  await activities.recordSweepStart({ sweep_id: id, spec: first, total: 3 });
});

describe('sweep ids are checked before anything is submitted', () => {
  for (const bad of ['', '../x y', 'a/b', '-leading-dash', '.hidden', 'x'.repeat(129), 'line\nbreak', 'nul\u0000', 'späce']) {
    test(`${JSON.stringify(bad.length > 20 ? `${bad.slice(0, 20)}…` : bad)} is refused by the client`, async () => {
      const before = (await stack.store.listSweeps({})).total;
      await assert.rejects(stack.sweeps.submit(load('optimization'), { id: bad }), (err: unknown) => {
        assert.ok(isConfigError(err));
        assert.match(err.message, /must be 1–128 letters, digits, "\.", "_" or "-", starting with a letter or digit/);
        return true;
      });
      assert.equal((await stack.store.listSweeps({})).total, before);
    });
  }

  test('the CLI names --id and exits 2 for an empty or path-like id', async () => {
    for (const bad of ['', '../x y']) {
      const run = await cli('optimize', 'examples/optimization.yaml', '--id', bad);
      assert.equal(run.code, 2, run.stderr);
      assert.equal(run.stderr, `error: --id: ${JSON.stringify(bad)} must be 1–128 letters, digits, ".", "_" or "-", starting with a letter or digit\n`);
    }
  });

  test('the API answers 400 naming the query field', async () => {
    const res = await app.request(`/api/optimizations?id=${encodeURIComponent('../x y')}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ path: 'examples/optimization.yaml' }),
    });
    assert.equal(res.status, 400);
    const { error } = (await res.json()) as { error: { file: string; field: string } };
    assert.deepEqual([error.file, error.field], ['query', 'id']);
  });

  test('a 128-character id is accepted, as the rule says', () => {
    assert.equal(checkSweepId('a'.repeat(128), '--id'), 'a'.repeat(128));
  });
});
