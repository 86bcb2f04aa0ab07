import { sql, type Kysely } from 'kysely';
import { METRIC_NAMES } from '../engine/result.js';
import { paramNumber, paramText } from './param-sql.js';
import type { Store } from './types.js';

type Dialect = Store['dialect'];

/*
 * Schema changes in code, numbered and applied once each (table store_migrations). Never edit a
 * migration that has shipped; append a new one. The metric columns are not in a migration: they
 * follow METRIC_NAMES (see ensureMetricColumns), so a new metric needs no migration.
 */
const MIGRATIONS: Array<{ version: number; name: string; up: (db: Kysely<any>, dialect: Dialect) => Promise<void> }> = [
  { version: 1, name: 'sweeps, operations, results', up: createTables },
  { version: 2, name: 'plugin_bundles', up: createPluginBundles },
  { version: 3, name: 'block returns per operation; operations found by hash', up: keepBlocksNotResults },
  { version: 4, name: 'sweep_statistics', up: createStatisticsTable },
  { version: 5, name: 'walk_forward_windows', up: createWalkForwardWindows },
  { version: 6, name: 'typed parameter columns per axis', up: addAxisColumns },
];

/**
 * Brings the schema up to date (or up to migration `through`, which tests use to build a store as an
 * older version left it). Runs inside the caller's write transaction, which makes it safe
 * when several processes start at once: SQLite's BEGIN IMMEDIATE admits one writer; PostgreSQL
 * takes a transaction-scoped advisory lock first, because concurrent CREATE TABLE IF NOT EXISTS can
 * still collide there.
 */
export async function migrate(db: Kysely<any>, dialect: Dialect, through = Infinity): Promise<void> {
  if (dialect === 'postgres') await sql`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`.execute(db);
  await db.schema
    .createTable('store_migrations')
    .ifNotExists()
    .addColumn('version', 'integer', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('applied_at', 'text', (c) => c.notNull())
    .execute();
  const applied = new Set((await db.selectFrom('store_migrations').select('version').execute()).map((r) => Number(r.version)));
  for (const migration of MIGRATIONS) {
    if (applied.has(migration.version) || migration.version > through) continue;
    await migration.up(db, dialect);
    await db
      .insertInto('store_migrations')
      .values({ version: migration.version, name: migration.name, applied_at: new Date().toISOString() })
      .execute();
  }
  await ensureMetricColumns(db, dialect);
}

/** An arbitrary constant that names "sweeplab store migration" among advisory locks. */
const MIGRATION_LOCK_KEY = 0x5377_6c62;

async function createTables(db: Kysely<any>, dialect: Dialect): Promise<void> {
  await db.schema
    .createTable('sweeps')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('total', 'integer', (c) => c.notNull())
    .addColumn('completed', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('failed', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('primary_metric', 'text', (c) => c.notNull())
    .addColumn('spec', 'text', (c) => c.notNull())
    .addColumn('param_names', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('sweeps_by_created_at').on('sweeps').columns(['created_at', 'id']).execute();

  await db.schema
    .createTable('operations')
    .addColumn('sweep_id', 'text', (c) => c.notNull())
    .addColumn('idx', 'integer', (c) => c.notNull())
    .addColumn('hash', 'text', (c) => c.notNull())
    .addColumn('params', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('error', 'text')
    .addColumn('duration_ms', 'double precision', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('operations_pk', ['sweep_id', 'hash'])
    .execute();
  await db.schema.createIndex('operations_by_idx').on('operations').columns(['sweep_id', 'idx']).execute();

  await db.schema
    .createTable('results')
    .addColumn('hash', 'text', (c) => c.primaryKey())
    .addColumn('operation_yaml', 'text', (c) => c.notNull())
    .addColumn('result', dialect === 'postgres' ? 'bytea' : 'blob', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
}

/** Walk-forward windows; the walk-forward itself is a sweeps row of kind walk_forward. */
async function createWalkForwardWindows(db: Kysely<any>, dialect: Dialect): Promise<void> {
  const blob = dialect === 'postgres' ? 'bytea' : 'blob';
  await db.schema
    .createTable('walk_forward_windows')
    .addColumn('walk_forward_id', 'text', (c) => c.notNull())
    .addColumn('k', 'integer', (c) => c.notNull())
    .addColumn('sweep_id', 'text', (c) => c.notNull())
    .addColumn('params', 'text')
    .addColumn('is_hash', 'text')
    .addColumn('oos_hash', 'text')
    .addColumn('is_result', blob)
    .addColumn('oos_result', blob, (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('walk_forward_windows_pk', ['walk_forward_id', 'k'])
    .execute();
}

/** User plugin code by content hash, stored once by the submitter and fetched by workers (docs/plugins.md). */
async function createPluginBundles(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('plugin_bundles')
    .addColumn('hash', 'text', (c) => c.primaryKey())
    .addColumn('bundle', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
}

/** The robustness statistics of a sweep (src/stats), one JSON document per sweep, replaced on each computation. */
async function createStatisticsTable(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('sweep_statistics')
    .addColumn('sweep_id', 'text', (c) => c.primaryKey())
    .addColumn('statistics', 'text', (c) => c.notNull())
    .addColumn('computed_at', 'text', (c) => c.notNull())
    .execute();
}

/**
 * From here on an operation's row holds everything the store keeps of it (docs/store.md): its block
 * returns join the metrics, and reuse across sweeps looks rows up by hash. New operations write
 * nothing to `results`; the rows already there stay readable, so old sweeps keep their curves.
 */
async function keepBlocksNotResults(db: Kysely<any>, dialect: Dialect): Promise<void> {
  await db.schema
    .alterTable('operations')
    .addColumn('blocks', dialect === 'postgres' ? 'bytea' : 'blob')
    .execute();
  await db.schema.createIndex('operations_by_hash').on('operations').column('hash').execute();
}

/**
 * Sorting by a parameter reads it out of every row's JSON and sorts the sweep. So the first
 * PARAM_AXES parameters of a sweep (in its `param_names` order) also live in typed columns,
 * p<K>_num and p<K>_text (the two sort keys of src/store/param-sql.ts), which an index
 * (sweep_id, column, idx) can walk; the index is made the first time a sort needs it
 * (ensureIndex). Existing rows are filled from their JSON here.
 */
async function addAxisColumns(db: Kysely<any>, dialect: Dialect): Promise<void> {
  for (let axis = 0; axis < PARAM_AXES; axis++) {
    const { num, text } = axisColumns(axis);
    await db.schema.alterTable('operations').addColumn(num, 'double precision').execute();
    // Bytewise text order on PostgreSQL too, so that an index on the column serves the sort.
    await db.schema.alterTable('operations').addColumn(text, 'text', (c) => (dialect === 'postgres' ? c.modifyEnd(sql`COLLATE "C"`) : c)).execute();
    const label =
      dialect === 'postgres'
        ? sql<string | null>`(SELECT sweeps.param_names::jsonb ->> ${sql.lit(axis)} FROM sweeps WHERE sweeps.id = operations.sweep_id)`
        : sql<string | null>`(SELECT json_extract(sweeps.param_names, ${`$[${axis}]`}) FROM sweeps WHERE sweeps.id = operations.sweep_id)`;
    await sql`UPDATE operations SET ${sql.ref(num)} = ${paramNumber(dialect, label)}, ${sql.ref(text)} = ${paramText(dialect, label)}`.execute(db);
  }
}

/** How many of a sweep's parameters get typed columns; sorting by a later one reads the JSON. */
export const PARAM_AXES = 8;

export function axisColumns(axis: number): { num: `p${number}_num`; text: `p${number}_text` } {
  return { num: `p${axis}_num`, text: `p${axis}_text` };
}

/**
 * Creates an index the first time a query needs it; `onlyWhereSet` makes it partial, over the rows
 * where that column is not NULL (an axis's number column is NULL wherever its text one is set, and
 * the other way round, so each indexes only its own rows). Every process may try at once: SQLite's
 * write lock (the caller's BEGIN IMMEDIATE) and PostgreSQL's migration advisory lock admit one.
 */
export async function ensureIndex(db: Kysely<any>, dialect: Dialect, name: string, columns: string[], onlyWhereSet?: string): Promise<void> {
  if (dialect === 'postgres') await sql`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`.execute(db);
  let index = db.schema.createIndex(name).ifNotExists().on('operations').columns(columns);
  if (onlyWhereSet !== undefined) index = index.where(sql.ref(onlyWhereSet), 'is not', null);
  await index.execute();
}

/**
 * Adds a float column for every metric the table lacks. Its index (sweep_id, metric, idx), which
 * lets "sort by metric, then idx, LIMIT n OFFSET m" walk the index instead of sorting the sweep, is
 * made when a sweep with that primary metric is created or a sort first needs it (ensureIndex):
 * every index costs each row ~45 bytes and a write, and most metrics are never sorted by
 * (docs/store.md). Stores made before this keep the indexes they have.
 */
async function ensureMetricColumns(db: Kysely<any>, dialect: Dialect): Promise<void> {
  const existing =
    dialect === 'postgres'
      ? await sql<{ name: string }>`SELECT column_name AS name FROM information_schema.columns
          WHERE table_schema = current_schema() AND table_name = 'operations'`.execute(db)
      : await sql<{ name: string }>`SELECT name FROM pragma_table_info('operations')`.execute(db);
  const columns = new Set(existing.rows.map((r) => r.name));
  for (const metric of METRIC_NAMES) {
    if (columns.has(metric)) continue;
    await db.schema.alterTable('operations').addColumn(metric, 'double precision').execute();
  }
}

export function metricIndexName(metric: string): string {
  return `operations_by_${metric}`;
}
