import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DefaultLogger, bundleWorkflowCode, type Worker } from '@temporalio/worker';
import { Sweeps } from '../../src/client/sweeps.js';
import { openStore } from '../../src/store/index.js';
import type { Store } from '../../src/store/types.js';
import { createWorker, workflowsPath } from '../../worker.js';
import type { DevServerOptions } from '../../src/temporal/dev-server.js';
import { startTestServer, uniqueId, type TestServer } from './temporal.js';

/** The repository root, which is the data root (workspace) of every stack test. */
export const repoRoot = path.resolve(import.meta.dirname, '../..');

export interface Stack {
  temporal: TestServer;
  store: Store;
  sweeps: Sweeps;
  /** Data root of the worker and the API: the repository, so examples/ resolves. */
  dataRoot: string;
  /** A temp dir of this stack's own, deleted by stop(). */
  dir: string;
  stop(): Promise<void>;
}

/**
 * The real stack as sweeplab runs it: a Temporal dev server, a worker in this process on a task queue
 * of its own, and a SQLite results store in a temp dir (or the database `databaseUrl` names); `server`
 * options go to the dev server (its UI with `headless: false`, dynamic config). The worker's data
 * root is the repository unless `dataRoot` names another. `const s = await startStack(); after(() => s.stop());`
 */
export async function startStack(opts: { concurrency?: number; databaseUrl?: string; server?: Omit<DevServerOptions, 'dbFile'>; dataRoot?: string; onExecuted?: (count: number) => void } = {}): Promise<Stack> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sweeplab-stack-'));
  const temporal = await startTestServer(opts.server);
  const databaseUrl = opts.databaseUrl ?? `sqlite:${path.join(dir, 'store.db')}`;
  const store = await openStore({ url: databaseUrl });
  await store.migrate();
  const taskQueue = uniqueId('stack');
  const { worker, close } = await createWorker({
    address: temporal.server.address,
    taskQueue,
    concurrency: opts.concurrency ?? 2,
    databaseUrl,
    dataRoot: opts.dataRoot ?? repoRoot,
    workflowBundle: await bundleWorkflowCode({ workflowsPath: workflowsPath(), logger: new DefaultLogger('WARN') }),
    onExecuted: opts.onExecuted,
  });
  const running = worker.run();
  return {
    temporal,
    store,
    sweeps: new Sweeps(temporal.client, store, taskQueue),
    dataRoot: opts.dataRoot ?? repoRoot,
    dir,
    async stop() {
      await shutdown(worker, running);
      await close();
      await store.close();
      await temporal.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function shutdown(worker: Worker, running: Promise<void>): Promise<void> {
  worker.shutdown();
  await running;
}

/** The environment that points a spawned `sweeplab` at this stack (its SQLite store): Temporal, task queue, store and data root. */
export function cliEnv(stack: Stack): Record<string, string> {
  return {
    TEMPORAL_ADDRESS: stack.temporal.server.address,
    TEMPORAL_NAMESPACE: stack.temporal.namespace,
    SWEEPLAB_TASK_QUEUE: stack.sweeps.taskQueue,
    DATABASE_URL: `sqlite:${path.join(stack.dir, 'store.db')}`,
    SWEEPLAB_DATA_ROOT: stack.dataRoot,
  };
}
