import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DefaultLogger, Runtime, bundleWorkflowCode, type Worker } from '@temporalio/worker';
import type { Client } from '@temporalio/client';
import { Sweeps } from '../src/client/sweeps.js';
import { loadOptimizationFile } from '../src/intake/load.js';
import { optimizationSpec, type OptimizationSpec } from '../src/config/sweep.js';
import { openStore } from '../src/store/index.js';
import type { Store } from '../src/store/types.js';
import { connectClient } from '../src/temporal/connection.js';
import { startDevServer, type DevServer } from '../src/temporal/dev-server.js';
import { createWorker, workflowsPath } from '../worker.js';

/** The benchmarks' embedded stack: a dev server, one worker in this process, a fresh SQLite store. */

export const repoRoot = path.resolve(fileURLToPath(new URL('..', import.meta.url)));

export interface BenchStack {
  server: DevServer;
  worker: Worker;
  store: Store;
  sweeps: Sweeps;
  client: Client;
  databaseUrl: string;
  taskQueue: string;
  dir: string;
  stop(): Promise<void>;
}

export function loadBenchGrid(file: string): { spec: OptimizationSpec; admissible: number } {
  const loaded = loadOptimizationFile(path.join(repoRoot, file), { dataRoot: repoRoot });
  return { spec: optimizationSpec(loaded), admissible: loaded.admissible };
}

export async function startBenchStack(opts: { concurrency?: number } = {}): Promise<BenchStack> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sweeplab-bench-'));
  const databaseUrl = `sqlite:${path.join(dir, 'store.db')}`;
  const server = await startDevServer({ headless: true, dbFile: path.join(dir, 'temporal.db') });
  const taskQueue = `bench-${process.pid}-${Date.now()}`;
  const { worker, close } = await createWorker({
    address: server.address,
    taskQueue,
    concurrency: opts.concurrency,
    databaseUrl,
    dataRoot: repoRoot,
    workflowBundle: await bundleWorkflowCode({ workflowsPath: workflowsPath(), logger: new DefaultLogger('WARN') }),
  });
  const running = worker.run();
  const store = await openStore({ url: databaseUrl });
  await store.migrate();
  const { client, connection } = await connectClient(server.address);
  return {
    server,
    worker,
    store,
    sweeps: new Sweeps(client, store, taskQueue),
    client,
    databaseUrl,
    taskQueue,
    dir,
    async stop() {
      worker.shutdown();
      await running;
      await close();
      await connection.close();
      await store.close();
      await server.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The same grid with every hash changed (a fee nudged), so a second run reuses nothing. */
export function unshared(spec: OptimizationSpec, nudge: number): OptimizationSpec {
  const copy = structuredClone(spec);
  copy.base.environment.fees_pct += nudge;
  return copy;
}
