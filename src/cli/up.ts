import fs from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { serveApi } from '../api/server.js';
import { Sweeps } from '../client/sweeps.js';
import { openStore } from '../store/index.js';
import { connectClient, taskQueue, temporalAddress } from '../temporal/connection.js';
import { startDevServer, type DevServer } from '../temporal/dev-server.js';
import { createWorker } from '../../worker.js';
import { loadWalkForwardFile } from '../config/walk-forward.js';
import { dataRootFromEnv } from '../data/paths.js';
import { loadSweepFile, progressLine } from './sweep-commands.js';

/**
 * The embedded default on one machine: the Temporal dev server keeping its state in
 * ./data/temporal.db (unless TEMPORAL_ADDRESS points at a server already), one worker and the API
 * with its page. Ctrl-C stops all three; sweeps survive in the database files and carry on at the
 * next `up`.
 */
export async function upCommand(opts: { example?: boolean; port: string; concurrency?: string }): Promise<number> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  fs.mkdirSync('data', { recursive: true });
  let server: DevServer | null = null;
  let address = temporalAddress();
  let uiUrl: string | null = process.env.TEMPORAL_UI_URL ?? null;
  if (!process.env.TEMPORAL_ADDRESS) {
    if (await reachable(address)) {
      process.stderr.write(`using the Temporal server already listening at ${address}\n`);
      uiUrl ??= 'http://127.0.0.1:8233';
    } else {
      server = await startDevServer({ dbFile: path.resolve('data/temporal.db'), port: 7233, uiPort: 8233, logFile: path.resolve('data/temporal.log') });
      address = server.address;
      uiUrl = server.uiUrl;
    }
  }
  const { worker, close: closeWorker } = await createWorker({ address, concurrency: opts.concurrency ? Number(opts.concurrency) : undefined });
  const workerRun = worker.run();
  const store = await openStore();
  await store.migrate();
  const { client, connection } = await connectClient(address);
  const sweeps = new Sweeps(client, store, taskQueue());
  const api = await serveApi({ sweeps, store, port: Number(opts.port), temporalUiUrl: uiUrl });

  process.stdout.write(
    [
      'sweeplab is up:',
      `  page and API   ${api.url}/  (OpenAPI: ${api.url}/api/openapi.json)`,
      `  Temporal       ${address}${uiUrl ? `  (UI: ${uiUrl})` : ''}`,
      `  worker         task queue "${taskQueue()}"`,
      'Ctrl-C stops it; running sweeps continue at the next start.',
      '',
    ].join('\n'),
  );

  if (opts.example) {
    const dataRoot = dataRootFromEnv();
    for (const [file, load] of [
      ['examples/optimization.yaml', () => loadSweepFile('optimization', 'examples/optimization.yaml')],
      ['examples/variant.yaml', () => loadSweepFile('variant_test', 'examples/variant.yaml')],
      ['examples/walk_forward.yaml', () => loadWalkForwardFile('examples/walk_forward.yaml', { dataRoot })],
    ] as const) {
      const { id } = await sweeps.submit(load());
      process.stdout.write(`submitted ${file} as ${id}: ${api.url}/#/sweeps/${id}\n`);
      void followQuietly(sweeps, id);
    }
  }

  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  process.stderr.write('stopping…\n');
  await api.close();
  worker.shutdown();
  await workerRun;
  await closeWorker();
  await connection.close();
  await store.close();
  await server?.stop();
  return 0;
}

async function reachable(address: string): Promise<boolean> {
  try {
    const connection = await Connection.connect({ address, connectTimeout: 1_000 });
    await connection.close();
    return true;
  } catch {
    return false;
  }
}

/** Prints a line when an example sweep ends, so `npm start` shows the job finishing. */
async function followQuietly(sweeps: Sweeps, id: string): Promise<void> {
  try {
    const view = await sweeps.result(id);
    process.stdout.write(`${progressLine(view)}\n`);
  } catch (err) {
    process.stderr.write(`${id}: ${err instanceof Error ? err.message : String(err)}\n`);
  }
}

/** `sweeplab api`: the API and page alone, for a deployment where Temporal and workers run elsewhere. */
export async function apiCommand(opts: { port: string }): Promise<number> {
  const store = await openStore();
  await store.migrate();
  const { client, connection } = await connectClient();
  const api = await serveApi({ sweeps: new Sweeps(client, store, taskQueue()), store, port: Number(opts.port), temporalUiUrl: process.env.TEMPORAL_UI_URL ?? null });
  process.stdout.write(`sweeplab API at ${api.url}/ (Temporal ${temporalAddress()}, task queue "${taskQueue()}")\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await api.close();
  await connection.close();
  await store.close();
  return 0;
}
