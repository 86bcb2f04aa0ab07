import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SweepView } from '../../src/client/sweeps.js';
import { parseYaml } from '../../src/intake/yaml.js';
import type { ResultRow } from '../../src/store/types.js';
import { uniqueId } from '../helpers/temporal.js';
import {
  assertExecutionsBounded,
  assertRowsExact,
  DRILL_TIMEOUT_MS,
  exampleSweep,
  killChild,
  MAX_IN_FLIGHT,
  OPERATIONS_PER_ACTIVITY,
  repoRoot,
  startDrill,
  storedRows,
  type Drill,
} from './drill-kit.js';

/*
 * Drill: the API process (`sweeplab api`) is SIGKILLed while a sweep it started runs, and a new one
 * on the same port answers for it. The API is stateless, so the sweep never notices, and everything
 * the client needs (progress, completion, every result row) comes over HTTP from the new process.
 */

let drill: Drill;

before(async () => {
  drill = await startDrill('api-restart');
});

after(async () => {
  await drill?.stop();
});

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url);
  assert.equal(res.status, 200, `${url}: ${await res.clone().text()}`);
  return (await res.json()) as T;
}

/**
 * The example as a posted JSON document: paths in a posted document start from the workspace root, and
 * parallel_config carries the drills' small packs.
 */
function exampleDocument(): string {
  const doc = parseYaml(fs.readFileSync(path.join(repoRoot, 'examples/optimization.yaml')), 'examples/optimization.yaml') as { optimization_config: Record<string, unknown> };
  doc.optimization_config.base_operation = 'examples/operation.yaml';
  doc.optimization_config.parallel_config = { operations_per_activity: OPERATIONS_PER_ACTIVITY, max_in_flight: MAX_IN_FLIGHT };
  return JSON.stringify(doc);
}

test('a sweep submitted over HTTP completes across an API SIGKILL and the new API serves every row', { timeout: DRILL_TIMEOUT_MS }, async (t) => {
  const started = performance.now();
  const { loaded } = exampleSweep();
  drill.startWorker();
  const first = await drill.startApi(0);
  const port = new URL(first.url).port;

  const id = uniqueId('drill-api');
  const submitted = await fetch(`${first.url}/api/optimizations?id=${id}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: exampleDocument(),
  });
  assert.equal(submitted.status, 202, await submitted.clone().text());

  const deadline = Date.now() + 60_000;
  let atKill: SweepView;
  do {
    assert.ok(Date.now() < deadline, 'the sweep reached 120 operations through the first API');
    await sleep(100);
    atKill = await getJson<SweepView>(`${first.url}/api/sweeps/${id}`);
  } while (atKill.done < 120);
  await killChild(first.child);
  assert.equal(atKill.status, 'running');

  const second = await drill.startApi(Number(port));
  assert.equal(second.url, first.url, 'the new API listens where the old one did');
  let view: SweepView;
  do {
    assert.ok(Date.now() < deadline, 'the sweep completed within the drill');
    await sleep(200);
    view = await getJson<SweepView>(`${second.url}/api/sweeps/${id}`);
    assert.ok(view.status === 'running' || view.status === 'completed', `the sweep is running or completed, not ${view.status}`);
  } while (view.status !== 'completed');
  assert.equal(view.done, loaded.admissible);
  assert.equal(view.failed, 0);

  const page = await getJson<{ rows: ResultRow[]; total: number }>(`${second.url}/api/sweeps/${id}/results?sort=idx&order=asc&limit=1000000`);
  assert.equal(page.total, loaded.admissible);
  assertRowsExact(page.rows, loaded);
  assert.deepEqual(page.rows, await storedRows(drill.store, id), 'the API serves the stored rows as they are');
  // Neither a worker nor the server died, so the bounds close to exactly one execution per operation.
  const executions = drill.executions();
  assertExecutionsBounded(executions, loaded.admissible, { workerKills: 0, serverKills: 0 });
  t.diagnostic(
    `API killed at ${atKill.done} done; ${executions} engine executions for ${loaded.admissible} operations; ${Math.round(performance.now() - started)} ms`,
  );
});
