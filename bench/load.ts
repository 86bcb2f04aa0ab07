import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { pathToFileURL } from 'node:url';
import { serveApi } from '../src/api/server.js';
import { loadBenchGrid, repoRoot, startBenchStack } from './stack.js';

/*
 * 50 concurrent clients poll a running sweep's status and results for 30 s over loopback HTTP, while
 * the worker in the same process keeps running the sweep (as `sweeplab up` does). Zero errors expected.
 * The sweep is the 1,000,000-operation grid, cancelled after the load: smaller ones end within the 30 s.
 */

const CLIENTS = 50;
const SECONDS = 30;

export async function benchLoad(): Promise<Record<string, number | string>> {
  const stack = await startBenchStack();
  const api = await serveApi({ sweeps: stack.sweeps, store: stack.store, port: 0, dataRoot: repoRoot, token: null });
  try {
    const { spec } = loadBenchGrid('bench/grids/optimization-1m.yaml');
    const { id } = await stack.sweeps.submit(spec);
    // Let the sweep get going (and store rows) before the clients arrive.
    while ((await stack.sweeps.view(id)).done < 500) await new Promise((r) => setTimeout(r, 200));
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'bench/load-client.ts', api.url, id, String(CLIENTS), String(SECONDS)], {
      cwd: repoRoot,
    });
    const load = JSON.parse(stdout) as Record<string, number>;
    const view = await stack.sweeps.view(id);
    if (view.status !== 'running') throw new Error(`the sweep was ${view.status} during the load, not running`);
    await stack.sweeps.cancel(id);
    await stack.sweeps.result(id);
    return { clients: CLIENTS, seconds: SECONDS, ...load, sweep_done_meanwhile: view.done };
  } finally {
    await api.close();
    await stack.stop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.table(await benchLoad());
}
