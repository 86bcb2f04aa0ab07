import { namedStoreTarget, openConnection } from './connect.js';
import { SqlStore } from './store.js';
import type { Store } from './types.js';
import type { CodeVersion } from '../code-version.js';

export * from './types.js';
export { parseStoreUrl, DEFAULT_SQLITE_PATH } from './connect.js';

/**
 * Opens the results store: `url`, else `DATABASE_URL`, else the SQLite file ./data/sweeplab.db.
 * Call `migrate()` before first use (every process may; it is idempotent and concurrency-safe).
 * The rows it records name `code` as the code that computed them: this process's by default.
 */
export async function openStore(opts: { url?: string; code?: CodeVersion } = {}): Promise<Store> {
  const named = namedStoreTarget(opts.url);
  return new SqlStore(await openConnection(named), named.target, opts.code);
}
