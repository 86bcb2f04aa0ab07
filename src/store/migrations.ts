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
  { version: 7, name: 'operations keyed by (sweep, idx)', up: keyOperationsBySweepIdx },
  { version: 8, name: 'code version per operation', up: addCodeVersions },
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
 * (ensureSortIndex). Existing rows are filled from their JSON here.
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

/** Every axis column, p0_num, p0_text, p1_num, … */
export const AXIS_COLUMNS = Array.from({ length: PARAM_AXES }, (_, axis) => axisColumns(axis)).flatMap(({ num, text }) => [num, text]);

/**
 * An operation's row is keyed by (sweep, idx), its index in the grid or variant list, rather than by
 * (sweep, hash): two variants with the same content each keep a row, and one index serves as the key
 * and for reads by idx, where two did before. The sweep is a small integer (table sweep_keys; the
 * store's API keeps text ids) instead of its text id in every row and in every index that starts with
 * it, and created_at, which nothing reads, goes: together about 300 of the 1,025 bytes a row took
 * (docs/store.md, "Size"). The table is rebuilt, on both dialects, because every row changes. An old store
 * may hold two rows for one (sweep, idx) (a reused sweep id once merged two sweeps); the one kept is
 * the done one, else the earliest written (ties by hash). The sort indexes the store had are made
 * again; the others stay unmade until a sort needs them.
 */
async function keyOperationsBySweepIdx(db: Kysely<any>, dialect: Dialect): Promise<void> {
  await db.schema
    .createTable('sweep_keys')
    .addColumn('sweep_key', 'integer', (c) => (dialect === 'postgres' ? c.primaryKey().generatedByDefaultAsIdentity() : c.primaryKey()))
    .addColumn('sweep_id', 'text', (c) => c.notNull().unique())
    .execute();
  await sql`INSERT INTO sweep_keys (sweep_id) SELECT DISTINCT sweep_id FROM operations ORDER BY sweep_id`.execute(db);

  // Every metric column the store has, including any of a metric since removed from METRIC_NAMES.
  const metrics = (await operationsColumns(db, dialect)).filter((column) => !OPERATIONS_V6_COLUMNS.has(column));
  const blob = dialect === 'postgres' ? 'bytea' : 'blob';
  let table = db.schema
    .createTable('operations_v7')
    .addColumn('sweep_key', 'integer', (c) => c.notNull())
    .addColumn('idx', 'integer', (c) => c.notNull())
    .addColumn('hash', 'text', (c) => c.notNull())
    .addColumn('params', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('error', 'text')
    .addColumn('duration_ms', 'double precision', (c) => c.notNull())
    .addColumn('blocks', blob);
  for (const column of AXIS_COLUMNS) {
    // Text bytewise on PostgreSQL, as migration 6 made it.
    table = column.endsWith('_num') ? table.addColumn(column, 'double precision') : table.addColumn(column, 'text', (c) => (dialect === 'postgres' ? c.modifyEnd(sql`COLLATE "C"`) : c));
  }
  for (const metric of metrics) table = table.addColumn(metric, 'double precision');
  await table.execute();

  const copied = ['idx', 'hash', 'params', 'status', 'error', 'duration_ms', 'blocks', ...AXIS_COLUMNS, ...metrics];
  await sql`INSERT INTO operations_v7 (sweep_key, ${sql.join(copied.map((column) => sql.ref(column)))})
    SELECT k.sweep_key, ${sql.join(copied.map((column) => sql.ref(`o.${column}`)))}
    FROM (SELECT *, row_number() OVER (PARTITION BY sweep_id, idx ORDER BY CASE WHEN status = 'done' THEN 0 ELSE 1 END, created_at, hash) AS pick FROM operations) o
    JOIN sweep_keys k ON k.sweep_id = o.sweep_id
    WHERE o.pick = 1
    ORDER BY k.sweep_key, o.idx`.execute(db);

  const indexes = await operationsIndexes(db, dialect);
  await db.schema.dropTable('operations').execute();
  await db.schema.alterTable('operations_v7').renameTo('operations').execute();
  await db.schema.createIndex('operations_key').unique().on('operations').columns(['sweep_key', 'idx']).execute();
  await db.schema.createIndex('operations_by_hash').on('operations').column('hash').execute();
  for (const column of [...metrics, ...AXIS_COLUMNS]) {
    if (indexes.has(sortIndexName(column))) await ensureSortIndex(db, dialect, column);
  }
}

/**
 * Each operation row names the code that computed it (docs/store.md, "Code versions"): a small
 * integer into code_versions (results version, package version, build id), one row per build, so a
 * row grows by the 1–2 bytes of a small integer rather than by the ~30 of the text. Rows stored
 * before this have NULL: code unknown, and as their hashes hold no results version they are never
 * reused by a new sweep, and a resumed sweep recomputes them.
 */
async function addCodeVersions(db: Kysely<any>, dialect: Dialect): Promise<void> {
  await db.schema
    .createTable('code_versions')
    .addColumn('code_key', 'integer', (c) => (dialect === 'postgres' ? c.primaryKey().generatedByDefaultAsIdentity() : c.primaryKey()))
    .addColumn('results_version', 'integer', (c) => c.notNull())
    .addColumn('package_version', 'text', (c) => c.notNull())
    .addColumn('build_id', 'text', (c) => c.notNull())
    .addUniqueConstraint('code_versions_unique', ['build_id', 'package_version', 'results_version'])
    .execute();
  await db.schema.alterTable('operations').addColumn('code_key', 'integer').execute();
}

/** The columns of operations at migration 6 that are not metrics. */
const OPERATIONS_V6_COLUMNS = new Set(['sweep_id', 'idx', 'hash', 'params', 'status', 'error', 'duration_ms', 'created_at', 'blocks', ...AXIS_COLUMNS]);

/** The index a sort by `column` (a metric or an axis column) walks. */
export function sortIndexName(column: string): string {
  return `operations_by_${column}`;
}

/**
 * Creates the index (sweep_key, column, idx) that a sort by a metric or an axis column walks, the
 * first time a query needs it. An axis column's index is partial, over the rows where it is set (an
 * axis's number column is NULL wherever its text one is set, and the other way round, so each indexes
 * only its own rows). Every process may try at once: SQLite's write lock (the caller's BEGIN
 * IMMEDIATE) and PostgreSQL's migration advisory lock admit one.
 */
export async function ensureSortIndex(db: Kysely<any>, dialect: Dialect, column: string): Promise<void> {
  if (dialect === 'postgres') await sql`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`.execute(db);
  let index = db.schema.createIndex(sortIndexName(column)).ifNotExists().on('operations').columns(['sweep_key', column, 'idx']);
  if ((AXIS_COLUMNS as string[]).includes(column)) index = index.where(sql.ref(column), 'is not', null);
  await index.execute();
}

/**
 * Adds a float column for every metric the table lacks. Its index (sweep_key, metric, idx), which
 * lets "sort by metric, then idx, LIMIT n OFFSET m" walk the index instead of sorting the sweep, is
 * made when a sweep with that primary metric is created or a sort first needs it (ensureSortIndex):
 * every index costs each row 15–25 bytes and a write, and most metrics are never sorted by
 * (docs/store.md). Stores made before this keep the indexes they have.
 */
async function ensureMetricColumns(db: Kysely<any>, dialect: Dialect): Promise<void> {
  const columns = new Set(await operationsColumns(db, dialect));
  for (const metric of METRIC_NAMES) {
    if (columns.has(metric)) continue;
    await db.schema.alterTable('operations').addColumn(metric, 'double precision').execute();
  }
}

async function operationsColumns(db: Kysely<any>, dialect: Dialect): Promise<string[]> {
  const { rows } =
    dialect === 'postgres'
      ? await sql<{ name: string }>`SELECT column_name AS name FROM information_schema.columns
          WHERE table_schema = current_schema() AND table_name = 'operations' ORDER BY ordinal_position`.execute(db)
      : await sql<{ name: string }>`SELECT name FROM pragma_table_info('operations')`.execute(db);
  return rows.map((r) => r.name);
}

async function operationsIndexes(db: Kysely<any>, dialect: Dialect): Promise<Set<string>> {
  const { rows } =
    dialect === 'postgres'
      ? await sql<{ name: string }>`SELECT indexname AS name FROM pg_indexes WHERE schemaname = current_schema() AND tablename = 'operations'`.execute(db)
      : await sql<{ name: string }>`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'operations'`.execute(db);
  return new Set(rows.map((r) => r.name));
}
