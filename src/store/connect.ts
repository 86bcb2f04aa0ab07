import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kysely, PostgresDialect, sql, SqliteDialect, type KyselyConfig } from 'kysely';
import Sqlite from 'libsql';
import pg from 'pg';
import { ConfigError } from '../config/errors.js';
import { ensureDirectory, fsReason, pathTextProblem } from '../data/files.js';
import type { Database } from './tables.js';

export const DEFAULT_SQLITE_PATH = 'data/sweeplab.db';

/**
 * How long a SQLite writer waits for another process's write transaction before failing with
 * SQLITE_BUSY. Write transactions are short (one batch of rows), so this only bites when the disk
 * stalls; generous, because giving up loses an activity attempt.
 */
const SQLITE_BUSY_TIMEOUT_MS = 15_000;

export type StoreTarget =
  | { dialect: 'sqlite'; /** Absolute file path, or ":memory:". */ path: string }
  | { dialect: 'postgres'; url: string };

/** A target and the setting it came from ("DATABASE_URL", "store url"), for messages. */
export interface NamedStoreTarget {
  target: StoreTarget;
  source: string;
  /** The URL or path as the user wrote it. */
  shown: string;
}

/**
 * Reads a store URL: `postgres://…` / `postgresql://…`, `sqlite:/abs/path.db`, `sqlite:rel.db`,
 * `sqlite:///abs/path.db`, `file:…` (same forms), or `:memory:`. Relative paths resolve against
 * the working directory. `source` names where the URL came from, for the error message.
 */
export function parseStoreUrl(url: string, source: string): StoreTarget {
  if (/^postgres(ql)?:\/\//i.test(url)) {
    // Checked here, once: pg would fail later with a bare "Invalid URL". Not quoted: it may hold a password.
    if (!URL.canParse(url)) throw new ConfigError(source, '', 'is not a valid postgres:// URL (postgres://user:password@host:5432/database)');
    return { dialect: 'postgres', url };
  }
  if (url === ':memory:' || url === 'sqlite::memory:') return { dialect: 'sqlite', path: ':memory:' };
  const file = /^(sqlite|file):(.*)$/i.exec(url);
  if (!file) {
    // `data/x.db` is how docs/cli.md names the default file: say how to write it as a URL.
    const hint = /^[a-z][\w+.-]*:\/\//i.test(url) ? '' : `; for the SQLite file "${url}" write "sqlite:${url}"`;
    throw new ConfigError(source, '', `unsupported database URL "${url}"${hint}; use postgres://…, postgresql://…, sqlite:/path/to.db, file:/path/to.db or :memory:`);
  }
  const rest = file[2]!;
  if (rest === '') throw new ConfigError(source, '', `database URL "${url}" names no file`);
  // `scheme:///abs` is the URL form of an absolute path; `scheme:/abs` and `scheme:rel` are paths.
  const filePath = rest.startsWith('//') ? fileURLToPath(`file:${rest}`) : rest;
  const problem = pathTextProblem(filePath);
  if (problem) throw new ConfigError(source, '', `"${filePath}" ${problem}`);
  return { dialect: 'sqlite', path: path.resolve(filePath) };
}

/** A store target as a message may show it: a URL's user and password are left out. */
export function storeLocation(target: StoreTarget): string {
  if (target.dialect === 'sqlite') return target.path === ':memory:' ? 'an in-memory SQLite database' : `the SQLite file "${target.path}"`;
  const { hostname, port, pathname } = new URL(target.url);
  return `PostgreSQL at "${hostname}:${port || 5432}${pathname}"`;
}

/** The target from an explicit URL, else `DATABASE_URL`, else the SQLite file under ./data. */
export function resolveStoreTarget(url?: string): StoreTarget {
  return namedStoreTarget(url).target;
}

export function namedStoreTarget(url?: string): NamedStoreTarget {
  if (url) return { target: parseStoreUrl(url, 'store url'), source: 'store url', shown: url };
  const fromEnv = process.env.DATABASE_URL;
  if (fromEnv) return { target: parseStoreUrl(fromEnv, 'DATABASE_URL'), source: 'DATABASE_URL', shown: fromEnv };
  return { target: { dialect: 'sqlite', path: path.resolve(DEFAULT_SQLITE_PATH) }, source: 'the default store', shown: DEFAULT_SQLITE_PATH };
}

/** How long opening the store may wait for PostgreSQL to accept a connection. */
const CONNECT_TIMEOUT_MS = 5_000;

/**
 * Opens the store's connection and proves it works, so a wrong setting is one message naming it
 * (a directory, a file that cannot be created, a port nobody listens on) before anything else runs.
 */
export async function openConnection({ target, source, shown }: NamedStoreTarget, options: { log?: KyselyConfig['log'] } = {}): Promise<Kysely<Database>> {
  if (target.dialect === 'sqlite' && target.path !== ':memory:') {
    if (fs.statSync(target.path, { throwIfNoEntry: false })?.isDirectory()) {
      throw new ConfigError(source, '', `"${shown}" names a directory; point it at a database file inside it, such as "sqlite:${path.join(shown.replace(/^(sqlite|file):/i, ''), 'sweeplab.db')}"`);
    }
    ensureDirectory(path.dirname(target.path), path.dirname(shown.replace(/^(sqlite|file):/i, '')), source, '');
  }
  let db: Kysely<Database>;
  try {
    db = connect(target, options);
  } catch (error) {
    if (target.dialect === 'sqlite') throw new ConfigError(source, '', `the SQLite database "${shown}" cannot be opened: ${fsReason(error) ?? (error as Error).message}`);
    throw error;
  }
  try {
    await sql`select 1`.execute(db);
  } catch (error) {
    await db.destroy().catch(() => {});
    if (target.dialect === 'sqlite') throw new ConfigError(source, '', `the SQLite database "${shown}" cannot be read: ${(error as Error).message}`);
    // Host and port only: the URL may carry a password.
    const { hostname, port } = new URL(target.url);
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new ConfigError(source, '', `cannot reach PostgreSQL at "${hostname}:${port || 5432}" (${reason}); is it running, and is the URL right?`);
  }
  return db;
}

/** `log` traces queries (Kysely's log option), e.g. to EXPLAIN what the store runs. */
export function connect(target: StoreTarget, options: { log?: KyselyConfig['log'] } = {}): Kysely<Database> {
  if (target.dialect === 'postgres') {
    return new Kysely<Database>({
      dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: target.url, connectionTimeoutMillis: CONNECT_TIMEOUT_MS }) }),
      log: options.log,
    });
  }
  if (target.path !== ':memory:') ensureDirectory(path.dirname(target.path), path.dirname(target.path), 'store', 'path');
  const database = new Sqlite(target.path);
  // WAL lets readers (the API) run beside one writer; NORMAL sync is durable against process
  // crashes (a power loss may drop the last commits, which a retried activity writes again).
  database.exec(`PRAGMA busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
  database.exec('PRAGMA journal_mode = WAL');
  database.exec('PRAGMA synchronous = NORMAL');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database }), log: options.log });
  sqliteHandles.set(db, database);
  return db;
}

const sqliteHandles = new WeakMap<Kysely<Database>, Sqlite.Database>();

/**
 * The libsql database under a SQLite store's Kysely instance, for the one statement the store
 * prepares once and runs per row (SqlStore.recordOperations); undefined on PostgreSQL.
 */
export function sqliteHandle(db: Kysely<Database>): Sqlite.Database | undefined {
  return sqliteHandles.get(db);
}
