import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kysely, PostgresDialect, SqliteDialect, type KyselyConfig } from 'kysely';
import Sqlite from 'libsql';
import pg from 'pg';
import { ConfigError } from '../config/errors.js';
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

/**
 * Reads a store URL: `postgres://…` / `postgresql://…`, `sqlite:/abs/path.db`, `sqlite:rel.db`,
 * `sqlite:///abs/path.db`, `file:…` (same forms), or `:memory:`. Relative paths resolve against
 * the working directory. `source` names where the URL came from, for the error message.
 */
export function parseStoreUrl(url: string, source: string): StoreTarget {
  if (/^postgres(ql)?:\/\//i.test(url)) return { dialect: 'postgres', url };
  if (url === ':memory:' || url === 'sqlite::memory:') return { dialect: 'sqlite', path: ':memory:' };
  const file = /^(sqlite|file):(.*)$/i.exec(url);
  if (!file) {
    throw new ConfigError(source, '', `unsupported database URL "${url}"; use postgres://…, postgresql://…, sqlite:/path/to.db, file:/path/to.db or :memory:`);
  }
  const rest = file[2]!;
  if (rest === '') throw new ConfigError(source, '', `database URL "${url}" names no file`);
  // `scheme:///abs` is the URL form of an absolute path; `scheme:/abs` and `scheme:rel` are paths.
  const filePath = rest.startsWith('//') ? fileURLToPath(`file:${rest}`) : rest;
  return { dialect: 'sqlite', path: path.resolve(filePath) };
}

/** The target from an explicit URL, else `DATABASE_URL`, else the SQLite file under ./data. */
export function resolveStoreTarget(url?: string): StoreTarget {
  if (url) return parseStoreUrl(url, 'store url');
  const fromEnv = process.env.DATABASE_URL;
  if (fromEnv) return parseStoreUrl(fromEnv, 'DATABASE_URL');
  return { dialect: 'sqlite', path: path.resolve(DEFAULT_SQLITE_PATH) };
}

/** `log` traces queries (Kysely's log option), e.g. to EXPLAIN what the store runs. */
export function connect(target: StoreTarget, options: { log?: KyselyConfig['log'] } = {}): Kysely<Database> {
  if (target.dialect === 'postgres') {
    return new Kysely<Database>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: target.url }) }), log: options.log });
  }
  if (target.path !== ':memory:') fs.mkdirSync(path.dirname(target.path), { recursive: true });
  const database = new Sqlite(target.path);
  // WAL lets readers (the API) run beside one writer; NORMAL sync is durable against process
  // crashes (a power loss may drop the last commits, which a retried activity writes again).
  database.exec(`PRAGMA busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
  database.exec('PRAGMA journal_mode = WAL');
  database.exec('PRAGMA synchronous = NORMAL');
  return new Kysely<Database>({ dialect: new SqliteDialect({ database }), log: options.log });
}
