import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { Sweeps } from '../../src/client/sweeps.js';
import { loadVariantFile } from '../../src/intake/load.js';
import { variantTestSpec } from '../../src/config/sweep.js';
import { openStore } from '../../src/store/index.js';
import { freePort } from '../../src/temporal/dev-server.js';
import { printed, repoRoot, startCli, startProcess, type CliRun } from '../cli/run-cli.js';
import { startTestServer, uniqueId } from '../helpers/temporal.js';

/*
 * A worker started before its Temporal server: it waits, one line per attempt, backing off, and
 * starts polling once the server is up; SIGTERM or Ctrl-C during the wait ends it cleanly. Real
 * processes, started as an operator starts them: `node --import tsx worker.ts` and `sweeplab up`.
 */

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sweeplab-late-server-'));
const databaseUrl = `sqlite:${path.join(dir, 'store.db')}`;

after(() => fs.rmSync(dir, { recursive: true, force: true }));

function startWorker(address: string, taskQueue: string): { child: ChildProcess; result: Promise<CliRun> } {
  return startProcess(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'worker.ts')], {
    cwd: repoRoot,
    env: { TEMPORAL_ADDRESS: address, SWEEPLAB_TASK_QUEUE: taskQueue, DATABASE_URL: databaseUrl, SWEEPLAB_DATA_ROOT: repoRoot },
    timeoutMs: 180_000,
  });
}

/** Resolves once the process has written `text` to stderr; rejects if it exits first. */
function saidOnStderr(child: ChildProcess, text: string, result: Promise<CliRun>): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    child.stderr!.on('data', (chunk: string) => {
      seen += chunk;
      if (seen.includes(text)) resolve();
    });
    void result.then((run) => reject(new Error(`exited (${run.code}) before saying "${text}":\n${run.stdout}\n${run.stderr}`)));
  });
}

/** The worker's lines about the wait; each must be the one clear line, with waits doubling from 1 s. */
function assertWaitLines(stderr: string, address: string): void {
  const lines = stderr.split('\n').filter((line) => line.startsWith('sweeplab worker: Temporal'));
  assert.ok(lines.length >= 1, `at least one line about the wait:\n${stderr}`);
  const waits = lines.map((line) => {
    const match = new RegExp(`^sweeplab worker: Temporal at ${address.replace(/\./g, '\\.')} is not reachable yet \\(Connection refused\\); retrying in (\\d+) s$`).exec(line);
    assert.ok(match, `one clear line: ${line}`);
    return Number(match[1]);
  });
  assert.deepEqual(waits, [1, 2, 4, 8, 16, 30, 30, 30].slice(0, waits.length), 'waits double from 1 s, capped at 30 s');
}

test('a worker started before the server waits, then polls and completes a sweep once the server is up', { timeout: 240_000 }, async (t) => {
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  const taskQueue = uniqueId('late-server');
  const worker = startWorker(address, taskQueue);
  t.after(() => worker.child.kill('SIGKILL'));
  await saidOnStderr(worker.child, 'is not reachable yet', worker.result);

  const server = await startTestServer({ port });
  t.after(() => server.stop());
  await printed(worker.child, `backtest slots on task queue "${taskQueue}"`, worker.result);
  const store = await openStore({ url: databaseUrl });
  t.after(() => store.close());
  const spec = variantTestSpec(loadVariantFile(path.join(repoRoot, 'examples/variant.yaml'), { dataRoot: repoRoot }));
  const sweeps = new Sweeps(server.client, store, taskQueue);
  const { id } = await sweeps.submit(spec);
  const view = await sweeps.result(id);
  assert.deepEqual([view.status, view.done, view.failed], ['completed', 3, 0]);

  worker.child.kill('SIGTERM');
  const run = await worker.result;
  assert.equal(run.code, 0, run.stderr);
  assertWaitLines(run.stderr, address);
});

test('SIGTERM while a worker waits for Temporal ends it at once with exit 0', async () => {
  const address = `127.0.0.1:${await freePort()}`;
  const worker = startWorker(address, uniqueId('never-up'));
  await saidOnStderr(worker.child, 'is not reachable yet', worker.result);
  const signalled = performance.now();
  worker.child.kill('SIGTERM');
  const run = await worker.result;
  assert.equal(run.code, 0, run.stderr);
  assert.ok(performance.now() - signalled < 5_000, 'it did not sit out its wait');
  assert.equal(run.stdout, 'sweeplab worker: stopped before Temporal was reachable\n');
  assertWaitLines(run.stderr, address);
});

test('sweeplab up pointed at an external Temporal that is down waits for it, and Ctrl-C ends the wait with exit 0', async () => {
  const address = `127.0.0.1:${await freePort()}`;
  const workspace = fs.mkdtempSync(path.join(dir, 'up-'));
  const up = startCli(['up', '--port', '0'], { cwd: workspace, env: { TEMPORAL_ADDRESS: address, DATABASE_URL: databaseUrl }, timeoutMs: 120_000 });
  await saidOnStderr(up.child, 'is not reachable yet', up.result);
  up.child.kill('SIGINT');
  const run = await up.result;
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stdout, '', 'nothing claimed to be up');
  assert.match(run.stderr, /\nstopped before Temporal was reachable\n$/);
  assertWaitLines(run.stderr, address);
});
