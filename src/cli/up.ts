import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { serveApi } from '../api/server.js';
import { Sweeps } from '../client/sweeps.js';
import { ConfigError } from '../config/errors.js';
import { probedFile, type SubmissionKind } from '../intake/probe.js';
import { dataRootFromEnv } from '../data/paths.js';
import { packageRoot } from '../package.js';
import { openStore } from '../store/index.js';
import { findTemporalCli } from '../temporal/cli-path.js';
import { connectClient, taskQueue, temporalAddress } from '../temporal/connection.js';
import { startDevServer, type DevServer } from '../temporal/dev-server.js';
import { connectUnlessStopped, createWorker } from '../../worker.js';
import { loadSweepFile, progressLine } from './sweep-commands.js';
import { loadWalkForwardCommandFile } from './walk-forward-commands.js';

/**
 * The embedded default on one machine: the Temporal dev server keeping its state in
 * ./data/temporal.db (unless TEMPORAL_ADDRESS points at a server already), one worker and the API
 * with its page. Ctrl-C stops all three, in order: the API, then the worker (running activities
 * finish or are given up within its grace time), then the server, so nothing talks to a server that
 * is gone; exit 0. Sweeps survive in the database files and carry on at the next `up`.
 */
export async function upCommand(opts: { example?: boolean; port: string; temporalPort: string; concurrency?: string }): Promise<number> {
  // The UI port follows the frontend's as in `temporal server start-dev` (+1000).
  const temporalPort = Number(opts.temporalPort);
  if (!/^\d+$/.test(opts.temporalPort) || temporalPort < 1 || temporalPort > 64_535) {
    throw new ConfigError('--temporal-port', 'port', `"${opts.temporalPort}" is not a port number from 1 to 64535 (the UI takes it + 1000)`);
  }
  // The stop below is ours: the SDK's own signal handling would start draining the worker at the
  // same Ctrl-C, and then our shutdown() call fails with "Not running. Current state: DRAINING".
  Runtime.install({ logger: new DefaultLogger('WARN'), shutdownSignals: [] });
  fs.mkdirSync('data', { recursive: true });
  let server: DevServer | null = null;
  let address = process.env.TEMPORAL_ADDRESS ? temporalAddress() : `127.0.0.1:${temporalPort}`;
  let uiUrl: string | null = process.env.TEMPORAL_UI_URL ?? null;
  if (!process.env.TEMPORAL_ADDRESS) {
    if (await reachable(address)) {
      process.stderr.write(`using the Temporal server already listening at ${address}\n`);
      uiUrl ??= `http://127.0.0.1:${temporalPort + 1000}`;
    } else {
      installTemporalCliIfMissing();
      // Its own process group: a terminal's Ctrl-C would otherwise stop it before the worker.
      server = await startDevServer({
        dbFile: path.resolve('data/temporal.db'),
        port: temporalPort,
        uiPort: temporalPort + 1000,
        logFile: path.resolve('data/temporal.log'),
        ownProcessGroup: true,
      });
      address = server.address;
      uiUrl = server.uiUrl;
    }
  }
  // An external server (TEMPORAL_ADDRESS) may not be up yet: the worker waits for it; Ctrl-C ends the wait.
  const workerConnection = await connectUnlessStopped(address);
  if (!workerConnection) {
    process.stderr.write('stopped before Temporal was reachable\n');
    await server?.stop();
    return 0;
  }
  const { worker, close: closeWorker } = await createWorker({ connection: workerConnection, concurrency: opts.concurrency ? Number(opts.concurrency) : undefined });
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
    // The workspace's plugin code runs first in a contained thread (src/intake/probe.ts), not in
    // this process, which serves the API and runs the worker.
    const probed = (kind: SubmissionKind, f: string) => probedFile(kind, f, dataRootFromEnv());
    for (const [file, load] of [
      [exampleFile('optimization.yaml'), async (f: string) => loadSweepFile('optimization', f, await probed('optimization', f))],
      [exampleFile('variant.yaml'), async (f: string) => loadSweepFile('variant_test', f, await probed('variant_test', f))],
      [exampleFile('walk_forward.yaml'), async (f: string) => loadWalkForwardCommandFile(f, await probed('walk_forward', f))],
    ] as const) {
      const { spec, bundle } = await load(file);
      const { id } = await sweeps.submit(spec, { bundle });
      process.stdout.write(`submitted ${file} as ${id}: ${api.url}/#/sweeps/${id}\n`);
      void followQuietly(sweeps, id);
    }
  }

  await stopSignal();
  // A second Ctrl-C gives up waiting: exiting runs the dev server's exit hook, which kills it.
  const force = () => process.exit(130);
  process.on('SIGINT', force);
  process.on('SIGTERM', force);
  process.stderr.write('stopping… (Ctrl-C again to stop at once)\n');
  await api.close();
  worker.shutdown();
  await workerRun;
  await closeWorker();
  await connection.close();
  await store.close();
  await server?.stop();
  return 0;
}

/**
 * npm 11 runs a dependency's install script only when the project allows it (`allowScripts`), so an
 * installed sweeplab may lack the Temporal CLI its postinstall would have set up: run that script now.
 * An explicit TEMPORAL_CLI is left alone (a wrong one is an error, src/temporal/cli-path.ts).
 */
function installTemporalCliIfMissing(): void {
  if (process.env.TEMPORAL_CLI) return;
  try {
    findTemporalCli();
    return;
  } catch {
    process.stderr.write('the Temporal CLI is not installed yet (npm skipped sweeplab\'s install script); installing it now…\n');
  }
  // Its output goes to stderr: stdout is for what `up` reports.
  spawnSync(process.execPath, [path.join(packageRoot, 'scripts', 'setup.mjs')], { stdio: ['ignore', 2, 2] });
}

/** Resolves at the first SIGINT (Ctrl-C) or SIGTERM. */
function stopSignal(): Promise<void> {
  return new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
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

/** An example in the repository's examples/, or at the top of a workspace that `init` made. */
function exampleFile(name: string): string {
  const inRepository = path.join('examples', name);
  return fs.existsSync(inRepository) ? inRepository : name;
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
  await stopSignal();
  await api.close();
  await connection.close();
  await store.close();
  return 0;
}
