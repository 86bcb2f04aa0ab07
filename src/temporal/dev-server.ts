import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Connection } from '@temporalio/client';
import type { SearchAttributeType } from '@temporalio/common';
import { findTemporalCli } from './cli-path.js';
import { sweepSearchAttributes } from './search-attributes.js';

export interface DevServerOptions {
  /** SQLite file that keeps workflows across restarts; without it state dies with the process. */
  dbFile?: string;
  /** gRPC frontend port; a free one when omitted. */
  port?: number;
  /** Web UI port; a free one when omitted. Ignored when headless. */
  uiPort?: number;
  headless?: boolean;
  /** Dynamic config values, each passed as `--dynamic-config-value KEY=<JSON>`. */
  dynamicConfig?: Record<string, unknown>;
  /** Created at start when not `default` (which always exists). */
  namespace?: string;
  /** Appends the server's stdout and stderr here. */
  logFile?: string;
  /**
   * Run the server in a process group of its own, so a Ctrl-C in the terminal reaches only this
   * process, which then stops its workers before the server (`sweeplab up`). Whoever sets it must
   * handle SIGINT: a Node process killed by a signal does not run the exit hook that kills the server.
   */
  ownProcessGroup?: boolean;
}

export interface DevServer {
  /** `127.0.0.1:<port>`, for `Connection.connect({ address })`. */
  address: string;
  /** `http://127.0.0.1:<uiPort>`, or null when headless. */
  uiUrl: string | null;
  pid: number;
  /** SIGTERM, then SIGKILL after 5 s; resolves once the process has exited. */
  stop(): Promise<void>;
  /** SIGKILL at once, as a crash would; resolves once the process has exited. */
  kill(): Promise<void>;
}

const readyTimeoutMs = 60_000;
const stopGraceMs = 5_000;
/** How much of the server's output an error message quotes. */
const tailChars = 4_000;

/** The CLI's spelling of each search attribute type (`--search-attribute Name=Keyword`). */
const cliTypeNames: Record<SearchAttributeType, string> = {
  TEXT: 'Text',
  KEYWORD: 'Keyword',
  INT: 'Int',
  DOUBLE: 'Double',
  BOOL: 'Bool',
  DATETIME: 'Datetime',
  KEYWORD_LIST: 'KeywordList',
};

/** A port that was free a moment ago (the OS picks it); another process may still take it first. */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * Starts `temporal server start-dev` on 127.0.0.1 with sweeplab's search attributes registered and
 * resolves once its frontend answers and the namespace exists. Rejects with the tail of the server's
 * output when it exits first or is not ready within 60 s (and then leaves no process behind).
 * The server is killed when this Node process exits, so a crashed test run leaves no orphan.
 */
export async function startDevServer(opts: DevServerOptions = {}): Promise<DevServer> {
  const cli = findTemporalCli();
  const port = opts.port ?? (await freePort());
  const uiPort = opts.headless ? null : (opts.uiPort ?? (await freePort()));
  const namespace = opts.namespace ?? 'default';
  const address = `127.0.0.1:${port}`;

  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port)];
  if (uiPort === null) args.push('--headless');
  else args.push('--ui-port', String(uiPort), '--ui-disable-news-fetch');
  // Its SQLite file in WAL mode with NORMAL sync, as the results store's (src/store/connect.ts): durable
  // against a killed process, and no fsync per history write, which took a fifth of a small sweep's
  // time (docs/benchmarks.md). A power loss may drop the last writes, as it may the store's.
  if (opts.dbFile) args.push('--db-filename', opts.dbFile, '--sqlite-pragma', 'journal_mode=wal', '--sqlite-pragma', 'synchronous=normal');
  if (namespace !== 'default') args.push('--namespace', namespace);
  args.push('--log-level', 'warn');
  for (const key of sweepSearchAttributes) {
    args.push('--search-attribute', `${key.name}=${cliTypeNames[key.type]}`);
  }
  for (const [key, value] of Object.entries(opts.dynamicConfig ?? {})) {
    args.push('--dynamic-config-value', `${key}=${JSON.stringify(value)}`);
  }

  const child = spawn(cli, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: opts.ownProcessGroup ?? false });
  const output = captureOutput(child, opts.logFile);
  // Typed by assertion: TypeScript would narrow a plain `null` for good; callbacks assign it.
  let spawnError = null as Error | null;
  let running = true;
  // A binary that cannot be spawned emits 'error' and maybe never 'exit'.
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', (error) => {
      spawnError = error;
      resolve();
    });
  });
  // 'exit' handlers must be synchronous; a signal is all that can be sent from there.
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.on('exit', killOnExit);
  void exited.then(() => {
    running = false;
    process.off('exit', killOnExit);
  });

  const kill = async (): Promise<void> => {
    if (running) child.kill('SIGKILL');
    await exited;
  };
  const stop = async (): Promise<void> => {
    if (!running) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), stopGraceMs);
    await exited;
    clearTimeout(timer);
  };

  const notReady = await waitUntilReady(address, namespace, () => running);
  if (notReady !== null || child.pid === undefined) {
    const why = spawnError
      ? `could not be run: ${spawnError.message}`
      : running
        ? notReady
        : `exited (${child.exitCode ?? child.signalCode}) before it was ready`;
    await kill();
    throw new Error(`temporal dev server ${why}\nCommand: ${cli} ${args.join(' ')}\nOutput:\n${output.tail()}`);
  }
  return {
    address,
    uiUrl: uiPort === null ? null : `http://127.0.0.1:${uiPort}`,
    pid: child.pid,
    stop,
    kill,
  };
}

/** Keeps the last output for error messages and copies it to `logFile` when given. */
function captureOutput(child: ChildProcess, logFile?: string): { tail(): string } {
  let tail = '';
  const log = logFile ? createWriteStream(logFile, { flags: 'a' }) : null;
  const onData = (chunk: Buffer): void => {
    tail = (tail + chunk.toString('utf8')).slice(-tailChars);
    log?.write(chunk);
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  child.once('exit', () => log?.end());
  return { tail: () => tail.trimEnd() };
}

/**
 * Polls the frontend until `getSystemInfo` answers, then checks the namespace (the frontend opens
 * its port before the namespace registry has loaded, hence retrying that too). Resolves null when
 * ready, else why not.
 */
async function waitUntilReady(
  address: string,
  namespace: string,
  isRunning: () => boolean,
): Promise<string | null> {
  const deadline = Date.now() + readyTimeoutMs;
  let lastError = 'no answer yet';
  while (Date.now() < deadline) {
    if (!isRunning()) return 'exited before it was ready';
    // lazy + ensureConnected rather than connect(): a failed connect() keeps its gRPC channel
    // (and this process) alive, while this one is closed whatever happens.
    const connection = Connection.lazy({ address, connectTimeout: 1_000 });
    try {
      await connection.ensureConnected(); // it calls getSystemInfo
      await connection.workflowService.describeNamespace({ namespace });
      return null;
    } catch (error) {
      lastError = error instanceof Error ? error.message : String(error);
    } finally {
      await connection.close();
    }
    await sleep(250);
  }
  return `at ${address} was not ready with namespace "${namespace}" within ${readyTimeoutMs / 1000} s; last error: ${lastError}`;
}
