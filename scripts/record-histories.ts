// Records the workflow histories the replay test (test/workflows/replay.test.ts) replays against
// the current workflow code: `npm run record:histories`. Re-record after any deliberate change to
// workflow logic (and use patched() for a change that must not break sweeps already running).
//
// On a dev server of its own (free ports, temp state) with continue-as-new suggested after 40
// events, three sweeps of the test fixtures run, each paused before a worker exists (so the first
// workflow task sees the pause):
//   optimization-pause-resume  a 45-operation grid, resumed: several runs (continue-as-new)
//   variant-pause-resume       the three-variant race, resumed
//   optimization-cancel-resume the same grid cancelled while paused, then `resume`d (a new run that
//                              reuses what was stored), to completion
// Every run of every sweep is written to test/fixtures/histories/<name>-<k>.json.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection } from '@temporalio/client';
import proto from '@temporalio/proto';

const { History } = proto.temporal.api.history.v1;
import { DefaultLogger, Runtime, bundleWorkflowCode } from '@temporalio/worker';
import { Sweeps } from '../src/client/sweeps.js';
import { loadOptimizationFile, loadVariantFile } from '../src/intake/load.js';
import { optimizationSpec, variantTestSpec, type SweepSpec } from '../src/config/sweep.js';
import { openStore } from '../src/store/index.js';
import { startDevServer } from '../src/temporal/dev-server.js';
import { progressQuery } from '../src/workflows/types.js';
import { createWorker, workflowsPath } from '../worker.js';

const root = path.resolve(import.meta.dirname, '..');
const out = path.join(root, 'test', 'fixtures', 'histories');
const taskQueue = 'record-histories';

function optimization(): SweepSpec {
  const spec = optimizationSpec(loadOptimizationFile('test/fixtures/good/optimization.yaml', { dataRoot: root }));
  // Small packs and window: many activities, so the 40-event threshold is crossed several times.
  return { ...spec, parallel: { ...spec.parallel, operations_per_activity: 3, max_in_flight: 2 } };
}

async function main(): Promise<void> {
  // Files named relative to the checkout, so no path of this machine is written into the histories.
  process.chdir(root);
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sweeplab-record-'));
  const server = await startDevServer({ headless: true, dbFile: path.join(dir, 'temporal.db'), dynamicConfig: { 'limit.historyCount.suggestContinueAsNew': 40 } });
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection });
  const databaseUrl = `sqlite:${path.join(dir, 'store.db')}`;
  const store = await openStore({ url: databaseUrl });
  await store.migrate();
  const sweeps = new Sweeps(client, store, taskQueue);
  try {
    const sweepsToRecord = {
      'optimization-pause-resume': await sweeps.submit(optimization(), { id: 'opt-recorded-pause' }),
      'variant-pause-resume': await sweeps.submit(variantTestSpec(loadVariantFile('test/fixtures/good/variant.yaml', { dataRoot: root })), { id: 'var-recorded-pause' }),
      'optimization-cancel-resume': await sweeps.submit(optimization(), { id: 'opt-recorded-cancel' }),
    };
    for (const { id } of Object.values(sweepsToRecord)) await client.workflow.getHandle(id).signal('pause');

    const workflowBundle = await bundleWorkflowCode({ workflowsPath: workflowsPath(), logger: new DefaultLogger('WARN') });
    const { worker, close } = await createWorker({ address: server.address, taskQueue, concurrency: 2, databaseUrl, dataRoot: root, workflowBundle });
    await worker.runUntil(async () => {
      for (const { id } of Object.values(sweepsToRecord)) {
        while ((await client.workflow.getHandle(id).query(progressQuery)).phase !== 'paused') await sleep(100);
      }
      await sleep(1_000);
      await sweeps.resume('opt-recorded-pause');
      await sweeps.resume('var-recorded-pause');
      await sweeps.cancel('opt-recorded-cancel');
      await sweeps.result('opt-recorded-cancel');
      await sweeps.resume('opt-recorded-cancel');
      for (const { id } of Object.values(sweepsToRecord)) {
        const view = await sweeps.result(id);
        if (view.status !== 'completed') throw new Error(`${id} ended ${view.status}`);
      }
    });
    await close();

    fs.rmSync(out, { recursive: true, force: true });
    fs.mkdirSync(out, { recursive: true });
    for (const [name, { id, runId }] of Object.entries(sweepsToRecord)) {
      // The restarted run of a resumed sweep is a new chain: its first run id is in its start event.
      const latest = await client.workflow.getHandle(id).fetchHistory();
      const restartedFrom = latest.events?.[0]?.workflowExecutionStartedEventAttributes?.firstExecutionRunId;
      const firstRuns = [...new Set([runId, ...(restartedFrom ? [restartedFrom] : [])])];
      let k = 0;
      for (const first of firstRuns) {
        for (let run: string | null | undefined = first; run; ) {
          const history = await client.workflow.getHandle(id, run).fetchHistory();
          // Plain JSON that History.fromObject reads back (enums by name, 64-bit numbers and bytes as strings).
          const json = History.toObject(History.fromObject(history), { enums: String, longs: String, bytes: String });
          fs.writeFileSync(path.join(out, `${name}-${++k}.json`), `${JSON.stringify({ workflowId: id, history: json })}\n`);
          run = history.events?.at(-1)?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId;
        }
      }
      process.stdout.write(`${name}: ${k} runs\n`);
    }
  } finally {
    await store.close();
    await connection.close();
    await server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

await main();
