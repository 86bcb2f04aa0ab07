import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Sweeps } from '../../src/client/sweeps.js';
import { loadOptimizationFile } from '../../src/intake/load.js';
import { optimizationSpec } from '../../src/config/sweep.js';
import { openStore } from '../../src/store/index.js';
import type { Store } from '../../src/store/types.js';
import { startTestServer, uniqueId, type TestServer } from '../helpers/temporal.js';

/*
 * A worker process killed with SIGKILL mid-sweep: a new worker process picks the sweep up and it
 * completes with exact counts and no operation stored twice.
 */

const root = path.resolve(import.meta.dirname, '../..');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sweeplab-crash-'));
const databaseUrl = `sqlite:${path.join(dir, 'store.db')}`;
const taskQueue = uniqueId('crash');
let t: TestServer;
let store: Store;
const workers: ChildProcess[] = [];

/** A worker process; its engine executions go to its own audit log, `executions-<n>.log`. */
function startWorkerProcess(): ChildProcess {
  const log = path.join(dir, `executions-${workers.length}.log`);
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'worker.ts')], {
    cwd: root,
    env: { ...process.env, TEMPORAL_ADDRESS: t.server.address, SWEEPLAB_TASK_QUEUE: taskQueue, DATABASE_URL: databaseUrl, SWEEPLAB_DATA_ROOT: root, SWEEPLAB_EXECUTION_LOG: log },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  workers.push(child);
  return child;
}

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

before(async () => {
  t = await startTestServer();
  store = await openStore({ url: databaseUrl });
  await store.migrate();
});

after(async () => {
  for (const w of workers) await kill(w);
  await store?.close();
  await t?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

function executionsOf(n: number): number {
  const log = path.join(dir, `executions-${n}.log`);
  return fs.existsSync(log) ? fs.readFileSync(log, 'utf8').split('\n').filter(Boolean).reduce((sum, line) => sum + Number(line), 0) : 0;
}

test('two workers share a sweep; when one is SIGKILLed the other finishes it, exactly once per operation', async () => {
  const loaded = loadOptimizationFile(path.join(root, 'examples/optimization.yaml'), { dataRoot: root });
  const spec = optimizationSpec(loaded);
  spec.parallel = { ...spec.parallel, operations_per_activity: 2, max_in_flight: 4 };
  const sweeps = new Sweeps(t.client, store, taskQueue);
  const { id } = await sweeps.submit(spec, { options: { heartbeat_timeout_s: 3 } });

  const first = startWorkerProcess();
  startWorkerProcess();
  const deadline = Date.now() + 90_000;
  while ((await sweeps.view(id)).done < 40) {
    assert.ok(Date.now() < deadline, 'the first worker made progress');
    await sleep(100);
  }
  await kill(first);
  const doneAtCrash = (await store.refreshSweepCounts(id)).completed;
  assert.ok(doneAtCrash < loaded.admissible, 'the crash happened mid-sweep');

  const view = await sweeps.result(id);
  assert.equal(view.status, 'completed');
  assert.equal(view.done + view.failed, loaded.admissible);
  const { rows } = await store.queryResults(id, { sort: 'idx', order: 'asc', limit: 1_000_000 });
  assert.equal(rows.length, loaded.admissible, 'every admissible combination stored');
  assert.equal(new Set(rows.map((r) => r.idx)).size, loaded.admissible, 'none stored twice');
  assert.ok(executionsOf(0) > 0 && executionsOf(1) > 0, `both workers ran backtests (${executionsOf(0)} and ${executionsOf(1)})`);
});
