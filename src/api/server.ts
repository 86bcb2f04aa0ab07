import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { Sweeps } from '../client/sweeps.js';
import { dataRootFromEnv } from '../data/paths.js';
import type { Store } from '../store/types.js';
import { createApp } from './app.js';

export interface ServeApiOptions {
  sweeps: Sweeps;
  store: Store;
  /** 0 picks a free port. */
  port: number;
  temporalUiUrl?: string | null;
  /** Default: SWEEPLAB_DATA_ROOT, else the working directory. */
  dataRoot?: string;
  /** Default: SWEEPLAB_API_TOKEN; null or empty turns auth off. */
  token?: string | null;
  /** Default: SWEEPLAB_API_HOST, else 127.0.0.1 (only this machine). */
  host?: string;
}

/** Serves the API and page over HTTP until close(). */
export async function serveApi(opts: ServeApiOptions): Promise<{ url: string; close(): Promise<void> }> {
  const app = createApp({
    sweeps: opts.sweeps,
    store: opts.store,
    dataRoot: opts.dataRoot ?? dataRootFromEnv(),
    token: opts.token !== undefined ? opts.token : process.env.SWEEPLAB_API_TOKEN || null,
    temporalUiUrl: opts.temporalUiUrl ?? null,
  });
  const hostname = opts.host ?? (process.env.SWEEPLAB_API_HOST || '127.0.0.1');
  const server = serve({ fetch: app.fetch, port: opts.port, hostname });
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  const shown = hostname.includes(':') ? `[${hostname}]` : hostname;
  return {
    url: `http://${shown === '0.0.0.0' ? '127.0.0.1' : shown}:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        // Idle keep-alive connections (a browser's) would otherwise hold close() open.
        if ('closeAllConnections' in server) server.closeAllConnections();
      }),
  };
}
