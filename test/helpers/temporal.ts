import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { startDevServer, type DevServer, type DevServerOptions } from '../../src/temporal/dev-server.js';

export interface TestServer {
  server: DevServer;
  /** A client on `namespace`; its connection is closed by stop() and kill(). */
  client: Client;
  connection: Connection;
  namespace: string;
  /** The SQLite file the server keeps its state in, inside a temp dir of its own. */
  dbFile: string;
  /** Stops the server gracefully and deletes its temp dir (unless a restart took it over). */
  stop(): Promise<void>;
  /** SIGKILLs the server as a crash would; the db file stays for restart(). */
  kill(): Promise<void>;
  /**
   * A new server on the same db file and port (so workers pointed at the address reconnect),
   * stopping this one first if it still runs. The new server owns the temp dir from then on.
   */
  restart(): Promise<TestServer>;
}

/**
 * A headless dev server on free ports with its state in a fresh temp db file, plus a client.
 * Use as `const t = await startTestServer(); after(() => t.stop());`.
 */
export async function startTestServer(opts: Omit<DevServerOptions, 'dbFile'> = {}): Promise<TestServer> {
  const dir = mkdtempSync(path.join(tmpdir(), 'sweeplab-temporal-'));
  return serve({ headless: true, ...opts, dbFile: path.join(dir, 'temporal.db') }, dir);
}

async function serve(opts: DevServerOptions & { dbFile: string }, dir: string): Promise<TestServer> {
  const namespace = opts.namespace ?? 'default';
  const server = await startDevServer(opts);
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection, namespace });
  let ownsDir = true;
  const port = Number(server.address.split(':')[1]);
  return {
    server,
    client,
    connection,
    namespace,
    dbFile: opts.dbFile,
    async stop() {
      await connection.close();
      await server.stop();
      if (ownsDir) rmSync(dir, { recursive: true, force: true });
    },
    async kill() {
      await server.kill();
      await connection.close();
    },
    async restart() {
      ownsDir = false;
      await connection.close();
      await server.stop();
      return serve({ ...opts, port }, dir);
    },
  };
}

/** An id no other test (or earlier run against the same db) uses: `<prefix>-<time>-<random>`. */
export function uniqueId(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomUUID().slice(0, 8)}`;
}
