import { sql, type Kysely, type OnConflictBuilder, type RawBuilder, type Selectable, type SqlBool } from 'kysely';
import { RequestError } from '../config/errors.js';
import { decodeStoredSpec, encodeStoredSpec } from '../config/stored-spec.js';
import type { Combo } from '../config/grid.js';
import { METRIC_NAMES, type BacktestResult, type MetricName, type Metrics } from '../engine/result.js';
import type { SweepStatistics } from '../stats/schemas.js';
import type Sqlite from 'libsql';
import { codeVersion, type CodeVersion } from '../code-version.js';
import { sqliteHandle, storeLocation, type StoreTarget } from './connect.js';
import { AXIS_COLUMNS, axisColumns, ensureSortIndex, migrate, PARAM_AXES, sortIndexName } from './migrations.js';
import { paramJson, paramKeys, paramNumber, paramText } from './param-sql.js';
import { blockReturns } from '../engine/block-returns.js';
import { decodeBlocks, DEFAULT_BLOCKS, specBlocks } from './blocks-codec.js';
import { decodeResult, encodeResult } from './result-codec.js';
import { resolveFilters, resolvePage, resolveSort } from './results-query.js';
import { withProcessWriteLock } from './sqlite-write-lock.js';
import type { AxisColumns, CodeVersionsTable, Database, MetricColumns, OperationsTable, SweepsTable } from './tables.js';
import {
  SweepKindSchema,
  SweepStatusSchema,
  type HeatmapCell,
  type NewSweep,
  type OperationRecord,
  type ResultRow,
  type ResultsQuery,
  type Store,
  type BlockReturnsRow,
  type CodeVersionCount,
  type CopiedOperation,
  type SweepKind,
  type SweepRow,
  type SweepStatus,
  type WalkForwardWindowRecord,
} from './types.js';

/**
 * Rows per INSERT: 500 operation rows bind about 11,000 values, under SQLite's 32,766 and
 * PostgreSQL's 65,535 bind parameters, and one statement per activity batch is the common case.
 */
const BATCH_ROWS = 500;
/** copyDone binds 3 + 2 × PARAM_AXES values per entry: 500 entries bind 9,500, within both limits. */
const COPY_BATCH_ROWS = 500;
/** Legacy result blobs are a few KB each; 100 per statement keeps a batch to about a megabyte. */
const RESULT_BATCH_ROWS = 100;

const RESULT_COLUMNS = ['idx', 'hash', 'params', 'status', 'error', 'code_key', ...METRIC_NAMES] as const;

/** Every column of an operation's row but its key (sweep_key, idx). */
const OPERATION_COLUMNS = ['hash', 'params', 'status', 'error', 'duration_ms', 'blocks', 'code_key', ...METRIC_NAMES, ...AXIS_COLUMNS] as const;

/**
 * The one conflict rule of every write of an operation row: a done row is final; only a retry that
 * succeeded replaces a failure, every column but the key taking the new row's value.
 */
function keepDone(oc: OnConflictBuilder<Database, 'operations'>) {
  const fromExcluded = Object.fromEntries(OPERATION_COLUMNS.map((column) => [column, sql.ref<never>(`excluded.${column}`)]));
  return oc
    .columns(['sweep_key', 'idx'])
    .doUpdateSet(fromExcluded as Partial<Record<keyof OperationsTable, RawBuilder<never>>>)
    .where('operations.status', '=', 'failed')
    .where('excluded.status', '=', 'done');
}

/**
 * SQLite's write of one operation row: the upsert Kysely compiles (keepDone's rule included),
 * prepared once and run per row inside the caller's transaction. Building and preparing a statement
 * of 500 rows cost the activity's thread more per row than SQLite's own insert (~13 of ~40 µs;
 * docs/store.md, "Writing").
 */
function upsertOne(db: Kysely<Database>, sqlite: Sqlite.Database): (row: OperationsTable) => void {
  const columns = ['sweep_key', 'idx', ...OPERATION_COLUMNS] as const;
  // Placeholders stand for the row's columns; the rule's own values (its statuses) stay as compiled.
  const placeholder = (i: number) => `\u0000column ${i}`;
  const template = Object.fromEntries(columns.map((column, i) => [column, placeholder(i)])) as unknown as OperationsTable;
  const compiled = db.insertInto('operations').values(template).onConflict(keepDone).compile();
  const bind = compiled.parameters.map((p) => {
    const i = typeof p === 'string' ? columns.findIndex((_, k) => placeholder(k) === p) : -1;
    return i === -1 ? () => p : (row: OperationsTable) => row[columns[i]!];
  });
  const statement = sqlite.prepare(compiled.sql);
  return (row) => void statement.run(bind.map((value) => value(row)));
}

let memoryDatabases = 0;

/** The Store over one Kysely instance; the dialect differences live in param-sql.ts and migrations.ts. */
export class SqlStore implements Store {
  readonly dialect: Store['dialect'];
  readonly location: string;
  /** Serialises this process's writers of one SQLite file (src/store/sqlite-write-lock.ts). */
  readonly #writeLockKey: string;
  /** A sweep's param_names never change once it exists. */
  readonly #paramNamesOf = new Map<string, string[]>();
  /** Sort indexes made or found by ensureSortIndex in this process. */
  readonly #indexes = new Set<string>();
  /** The libsql database under a SQLite store, for the statements prepared once; undefined on PostgreSQL. */
  readonly #sqlite: Sqlite.Database | undefined;
  /** SQLite's upsert of one operation row (upsertOne), prepared at the first write. */
  #upsert: ((row: OperationsTable) => void) | undefined;
  /** SQLite's "is this hash done anywhere" (#doneHashes), prepared at the first probe. */
  #probe: Sqlite.Statement | undefined;
  /** code_versions by key, as far as this process has read them (rows never change). */
  readonly #codeVersions = new Map<number, CodeVersion>();
  /** The key of `code` in code_versions, found or given out at the first write. */
  #codeKey: number | undefined;

  constructor(
    readonly db: Kysely<Database>,
    target: StoreTarget,
    /** The code version the operations this process records were computed by. */
    readonly code: CodeVersion = codeVersion(),
  ) {
    this.dialect = target.dialect;
    this.location = storeLocation(target);
    this.#sqlite = sqliteHandle(db);
    // Every ":memory:" connection is a database of its own, so it shares no lock.
    this.#writeLockKey = target.dialect === 'sqlite' && target.path !== ':memory:' ? target.path : `:memory:${++memoryDatabases}`;
  }

  /**
   * Runs `fn` in a write transaction. On SQLite, BEGIN IMMEDIATE takes the file's write lock up
   * front (waiting up to the busy timeout): a deferred transaction that read first could fail to
   * upgrade to a writer at once, without waiting, when another process wrote in between.
   */
  async #write<T>(fn: (db: Kysely<Database>) => Promise<T>): Promise<T> {
    if (this.dialect === 'postgres') return this.db.transaction().execute(fn);
    return withProcessWriteLock(this.#writeLockKey, () =>
      this.db.connection().execute(async (connection) => {
        await sql`BEGIN IMMEDIATE`.execute(connection);
        try {
          const result = await fn(connection);
          await sql`COMMIT`.execute(connection);
          return result;
        } catch (error) {
          try {
            await sql`ROLLBACK`.execute(connection);
          } catch {
            // Some SQLite errors end the transaction themselves; the original error says what failed.
          }
          throw error;
        }
      }),
    );
  }

  async migrate(): Promise<void> {
    await this.#write((db) => migrate(db, this.dialect));
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }

  async ping(): Promise<void> {
    await sql`SELECT 1`.execute(this.db);
  }

  async createSweep(sweep: NewSweep): Promise<void> {
    const now = new Date().toISOString();
    await this.#write((db) =>
      db
        .insertInto('sweeps')
        .values({
          id: sweep.id,
          kind: sweep.kind,
          name: sweep.name,
          status: 'running',
          total: sweep.total,
          completed: 0,
          failed: 0,
          primary_metric: sweep.primary_metric,
          spec: encodeStoredSpec(sweep.spec),
          param_names: JSON.stringify(sweep.param_names),
          created_at: now,
          updated_at: now,
        })
        .onConflict((oc) => oc.column('id').doNothing())
        .execute(),
    );
    // The results page sorts by the primary metric first; its index grows with the sweep rather than being built at the first look.
    if ((METRIC_NAMES as readonly string[]).includes(sweep.primary_metric)) await this.#ensureSortIndex(sweep.primary_metric);
  }

  async getSweep(id: string): Promise<SweepRow | null> {
    const row = await this.db.selectFrom('sweeps').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toSweepRow(row) : null;
  }

  async listSweeps(query: { kind?: SweepKind; status?: SweepStatus; limit?: number; offset?: number }): Promise<{ rows: SweepRow[]; total: number }> {
    const page = resolvePage(query);
    let filtered = this.db.selectFrom('sweeps');
    if (query.kind) filtered = filtered.where('kind', '=', query.kind);
    if (query.status) filtered = filtered.where('status', '=', query.status);
    const { total } = await filtered.select(sql<string | number>`count(*)`.as('total')).executeTakeFirstOrThrow();
    let rows = filtered.selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc').offset(page.offset);
    rows = rows.limit(page.limit ?? Math.max(Number(total) - page.offset, 0));
    return { rows: (await rows.execute()).map(toSweepRow), total: Number(total) };
  }

  async setSweepStatus(id: string, status: SweepStatus): Promise<void> {
    await this.#write((db) => db.updateTable('sweeps').set({ status, updated_at: new Date().toISOString() }).where('id', '=', id).execute());
  }

  async refreshSweepCounts(id: string): Promise<{ completed: number; failed: number }> {
    return this.#write(async (db) => {
      const counts = await db
        .selectFrom('operations')
        .where('sweep_key', '=', sweepKey(id))
        .select([
          sql<string | number>`count(CASE WHEN status = 'done' THEN 1 END)`.as('completed'),
          sql<string | number>`count(CASE WHEN status = 'failed' THEN 1 END)`.as('failed'),
        ])
        .executeTakeFirstOrThrow();
      const result = { completed: Number(counts.completed), failed: Number(counts.failed) };
      await db
        .updateTable('sweeps')
        .set({ ...result, updated_at: new Date().toISOString() })
        .where('id', '=', id)
        .execute();
      return result;
    });
  }

  async recordOperations(records: OperationRecord[]): Promise<void> {
    if (records.length === 0) return;
    const codeKey = await this.#ownCodeKey();
    await this.#write(async (db) => {
      const sweepIds = [...new Set(records.map((r) => r.sweep_id))];
      const rows = toOperationRows(records, await sweepKeys(db, sweepIds), await this.#knownParamNames(db, sweepIds), codeKey);
      if (this.#sqlite) {
        const upsert = (this.#upsert ??= upsertOne(this.db, this.#sqlite));
        for (const row of rows) upsert(row);
      } else {
        // PostgreSQL: a multi-row statement saves round trips.
        for (const part of chunks(rows, BATCH_ROWS)) await db.insertInto('operations').values(part).onConflict(keepDone).execute();
      }
    });
  }

  /** Which of these entries' hashes have a done row in any sweep (SQLite: one prepared probe per hash). */
  async #doneHashes(entries: Iterable<{ hash: string }>): Promise<Set<string>> {
    const hashes = [...new Set([...entries].map((e) => e.hash))];
    if (this.#sqlite) {
      const probe = (this.#probe ??= this.#sqlite.prepare(`SELECT 1 FROM operations WHERE hash = ? AND status = 'done' LIMIT 1`));
      return new Set(hashes.filter((hash) => probe.get([hash]) !== undefined));
    }
    const found = new Set<string>();
    for (const part of chunks(hashes, BATCH_ROWS)) {
      const rows = await this.db.selectFrom('operations').select('hash').distinct().where('hash', 'in', part).where('status', '=', 'done').execute();
      for (const row of rows) found.add(row.hash);
    }
    return found;
  }

  /*
   * The entries travel as bound values (a VALUES list) rather than as one JSON document: SQLite's
   * JSON parser reads some decimals one unit in the last place off (0.002877 as
   * 0.0028770000000000002), and the typed axis columns must hold the very numbers recordOperations
   * binds. The row to copy per entry is a done row with its hash, one with blocks first (as the reuse
   * prefers), chosen and written in one INSERT … SELECT per chunk.
   */
  async copyDone(sweepId: string, entries: Array<{ idx: number; hash: string; params: Combo }>, metric: MetricName): Promise<CopiedOperation[]> {
    if (entries.length === 0) return [];
    // One entry per idx (PostgreSQL refuses an upsert that touches a row twice), in key order (no deadlocks).
    const byIdx = new Map<number, (typeof entries)[number]>();
    for (const entry of entries) if (!byIdx.has(entry.idx)) byIdx.set(entry.idx, entry);
    // Most packs of a new sweep hold nothing stored: an index probe per hash tells, before any write.
    const present = await this.#doneHashes(byIdx.values());
    const sorted = [...byIdx.values()].filter((entry) => present.has(entry.hash)).sort((a, b) => a.idx - b.idx);
    if (sorted.length === 0) return [];
    return this.#write(async (db) => {
      const key = (await sweepKeys(db, [sweepId])).get(sweepId)!;
      const names = (await this.#knownParamNames(db, [sweepId])).get(sweepId) ?? [];
      const copied: CopiedOperation[] = [];
      for (const part of chunks(sorted, COPY_BATCH_ROWS)) {
        const values = part.map((entry) => {
          const axes = axisValues(entry.params, names);
          return sql`(${entry.idx}, ${entry.hash}, ${JSON.stringify(entry.params)}, ${sql.join(AXIS_COLUMNS.map((column) => axes[column]))})`;
        });
        const refs = (columns: readonly string[]) => sql.join(columns.map((column) => sql.ref(column)));
        // PostgreSQL reads untyped bound values as text: the casts give the columns their types.
        const axes = sql.join(AXIS_COLUMNS.map((column) => (column.endsWith('_num') ? sql`CAST(${sql.ref(column)} AS double precision)` : sql.ref(column))));
        const rows = await db
          .insertInto('operations')
          .columns(['sweep_key', 'idx', 'hash', 'params', 'status', 'error', 'duration_ms', 'blocks', 'code_key', ...METRIC_NAMES, ...AXIS_COLUMNS])
          .expression(
            sql`WITH entry (idx, hash, params, ${refs(AXIS_COLUMNS)}) AS (VALUES ${sql.join(values)}),
            found AS (
              SELECT entry.*, done.blocks, done.code_key, ${refs(METRIC_NAMES.map((m) => `done.${m}`))},
                     row_number() OVER (PARTITION BY entry.idx ORDER BY CASE WHEN done.blocks IS NULL THEN 1 ELSE 0 END) AS pick
              FROM entry JOIN operations done ON done.hash = entry.hash AND done.status = 'done'
            )
            SELECT CAST(${key} AS integer), CAST(idx AS integer), hash, params, 'done', NULL, 0, blocks, code_key, ${refs(METRIC_NAMES)}, ${axes}
            FROM found WHERE pick = 1`,
          )
          .onConflict(keepDone)
          .returning(['idx', 'hash', sql.ref<number | null>(metric).as('value'), 'total_trades'])
          .execute();
        for (const row of rows) copied.push({ idx: Number(row.idx), hash: row.hash, value: toNumber(row.value), total_trades: toNumber(row.total_trades) });
        // Not written: no done row anywhere, or the row at idx was done already (a retry), which counts as copied when it holds this hash.
        const written = new Set(rows.map((row) => Number(row.idx)));
        const rest = new Map(part.filter((entry) => !written.has(entry.idx)).map((entry) => [entry.idx, entry.hash]));
        if (rest.size === 0) continue;
        const stored = await db
          .selectFrom('operations')
          .select(['idx', 'hash', sql.ref<number | null>(metric).as('value'), 'total_trades'])
          .where('sweep_key', '=', key)
          .where('idx', 'in', [...rest.keys()])
          .where('status', '=', 'done')
          .execute();
        for (const row of stored) {
          if (rest.get(Number(row.idx)) === row.hash) copied.push({ idx: Number(row.idx), hash: row.hash, value: toNumber(row.value), total_trades: toNumber(row.total_trades) });
        }
      }
      return copied.sort((a, b) => a.idx - b.idx);
    });
  }

  async doneIndices(sweepId: string, from: number, to: number): Promise<Set<number>> {
    const rows = await this.db
      .selectFrom('operations')
      .select('idx')
      .where('sweep_key', '=', sweepKey(sweepId))
      .where('idx', '>=', from)
      .where('idx', '<', to)
      .where('status', '=', 'done')
      .execute();
    return new Set(rows.map((r) => Number(r.idx)));
  }

  async codeVersionCounts(sweepId: string): Promise<CodeVersionCount[]> {
    const rows = await this.db
      .selectFrom('operations')
      .select([
        'code_key',
        sql<string | number>`count(CASE WHEN status = 'done' THEN 1 END)`.as('done'),
        sql<string | number>`count(CASE WHEN status = 'failed' THEN 1 END)`.as('failed'),
      ])
      .where('sweep_key', '=', sweepKey(sweepId))
      .groupBy('code_key')
      .orderBy('code_key', (ob) => ob.asc().nullsFirst())
      .execute();
    const codes = await this.#codeVersionsOf(rows.map((r) => r.code_key));
    return rows.map((r) => ({ code: r.code_key === null ? null : (codes.get(Number(r.code_key)) ?? null), done: Number(r.done), failed: Number(r.failed) }));
  }

  async dropOtherResultsVersions(sweepId: string): Promise<number> {
    const same = this.db.selectFrom('code_versions').select('code_key').where('results_version', '=', this.code.results_version);
    const result = await this.#write((db) =>
      db
        .deleteFrom('operations')
        .where('sweep_key', '=', sweepKey(sweepId))
        .where((eb) => eb.or([eb('code_key', 'is', null), eb('code_key', 'not in', same)]))
        .executeTakeFirst(),
    );
    return Number(result.numDeletedRows);
  }

  /**
   * The key of this store's code version, given out the first time it writes, in a transaction of its
   * own: committed before any row names it, and never undone by a failed write of rows.
   */
  async #ownCodeKey(): Promise<number> {
    if (this.#codeKey !== undefined) return this.#codeKey;
    const { results_version, package_version, build_id } = this.code;
    const find = (db: Kysely<Database>) =>
      db.selectFrom('code_versions').select('code_key').where('build_id', '=', build_id).where('package_version', '=', package_version).where('results_version', '=', results_version).executeTakeFirst();
    const row =
      (await find(this.db)) ??
      (await this.#write(async (db) => {
        await db.insertInto('code_versions').values({ results_version, package_version, build_id }).onConflict((oc) => oc.doNothing()).execute();
        return find(db);
      }));
    this.#codeKey = Number(row!.code_key);
    this.#codeVersions.set(this.#codeKey, this.code);
    return this.#codeKey;
  }

  /** These code keys' versions (read from code_versions the first time each is asked for). */
  async #codeVersionsOf(keys: Array<number | null>): Promise<Map<number, CodeVersion>> {
    const missing = [...new Set(keys.filter((k): k is number => k !== null).map(Number))].filter((k) => !this.#codeVersions.has(k));
    if (missing.length > 0) {
      const rows: Array<Selectable<CodeVersionsTable>> = await this.db.selectFrom('code_versions').selectAll().where('code_key', 'in', missing).execute();
      for (const row of rows) {
        this.#codeVersions.set(Number(row.code_key), { results_version: Number(row.results_version), package_version: row.package_version, build_id: row.build_id });
      }
    }
    return this.#codeVersions;
  }

  async locateOperation(hash: string): Promise<{ sweep_id: string; idx: number } | null> {
    // The oldest sweep first; rows of a sweep that has no sweeps row (only tests write those) last.
    const row = await this.db
      .selectFrom('operations as o')
      .innerJoin('sweep_keys as k', 'k.sweep_key', 'o.sweep_key')
      .leftJoin('sweeps as s', 's.id', 'k.sweep_id')
      .select(['k.sweep_id', 'o.idx'])
      .where('o.hash', '=', hash)
      .orderBy('s.created_at', (ob) => ob.asc().nullsLast())
      .orderBy('k.sweep_id')
      .orderBy('o.idx')
      .limit(1)
      .executeTakeFirst();
    return row ? { sweep_id: row.sweep_id, idx: Number(row.idx) } : null;
  }

  async operationsOf(sweepId: string, hashes: string[]): Promise<Array<{ hash: string; idx: number; params: ResultRow['params'] }>> {
    const found: Array<{ hash: string; idx: number; params: ResultRow['params'] }> = [];
    for (const part of chunks([...new Set(hashes)], BATCH_ROWS)) {
      const rows = await this.db.selectFrom('operations').select(['hash', 'idx', 'params']).where('sweep_key', '=', sweepKey(sweepId)).where('hash', 'in', part).execute();
      for (const row of rows) found.push({ hash: row.hash, idx: Number(row.idx), params: JSON.parse(row.params) });
    }
    return found.sort((a, b) => a.idx - b.idx);
  }

  async legacyResults(hashes: string[]): Promise<Map<string, BacktestResult>> {
    const found = new Map<string, BacktestResult>();
    for (const part of chunks([...new Set(hashes)], RESULT_BATCH_ROWS)) {
      const rows = await this.db.selectFrom('results').select(['hash', 'result']).where('hash', 'in', part).execute();
      for (const row of rows) found.set(row.hash, decodeResult(row.result));
    }
    return found;
  }

  async blockReturns(sweepId: string, page: { limit?: number; offset?: number } = {}): Promise<BlockReturnsRow[]> {
    const { offset, limit } = resolvePage(page);
    let query = this.db
      .selectFrom('operations')
      .select(['idx', 'hash', 'params', 'blocks', ...METRIC_NAMES])
      .where('sweep_key', '=', sweepKey(sweepId))
      .where('status', '=', 'done')
      .orderBy('idx')
      .offset(offset);
    if (limit !== null) query = query.limit(limit);
    else if (this.dialect === 'sqlite') query = query.limit(-1); // SQLite takes no OFFSET without a LIMIT.
    const rows = await query.execute();
    const missing = rows.filter((r) => r.blocks === null).map((r) => r.hash);
    // Rows from before migration 3 carry no block returns; their stored result still has the curve.
    const legacy = missing.length ? await this.legacyResults(missing) : new Map<string, BacktestResult>();
    const blocks = legacy.size ? specBlocks((await this.getSweep(sweepId))?.spec) : DEFAULT_BLOCKS;
    return rows.map((row) => {
      const old = legacy.get(row.hash);
      return {
        idx: Number(row.idx),
        hash: row.hash,
        params: JSON.parse(row.params),
        metrics: metricsOf(row),
        blocks: row.blocks !== null ? decodeBlocks(row.blocks) : old ? blockReturns(old.equity.v, blocks) : null,
      };
    });
  }

  async savePluginBundle(bundle: { hash: string; text: string }): Promise<void> {
    await this.#write((db) =>
      db
        .insertInto('plugin_bundles')
        .values({ hash: bundle.hash, bundle: bundle.text, created_at: new Date().toISOString() })
        .onConflict((oc) => oc.column('hash').doNothing())
        .execute(),
    );
  }

  async getPluginBundle(hash: string): Promise<string | null> {
    const row = await this.db.selectFrom('plugin_bundles').select('bundle').where('hash', '=', hash).executeTakeFirst();
    return row?.bundle ?? null;
  }

  /*
   * Sorting by a metric or parameter runs as one query per segment of rows that an index walks in
   * order and stops after the page, instead of one ORDER BY … NULLS LAST that would sort the whole sweep
   * (SQLite indexes NULLs first, PostgreSQL last). A metric: the rows that have it by value then idx
   * (index (sweep_key, metric, idx)), then the rest by idx. A parameter among the first PARAM_AXES:
   * the rows where it is a number, by number (index (sweep_key, p<K>_num, idx)), then those where it
   * is text, by text, then the rest by idx: numbers before text, missing last, ties by idx, as
   * src/store/param-sql.ts orders them.
   */
  async queryResults(sweepId: string, query: ResultsQuery): Promise<{ rows: ResultRow[]; total: number }> {
    const paramNames = await this.#paramNames(sweepId);
    const sort = resolveSort(query, paramNames);
    const page = resolvePage(query);
    const filters = resolveFilters(query.filter ?? [], paramNames, this.dialect);
    const matching = () => {
      let q = this.db.selectFrom('operations').where('sweep_key', '=', sweepKey(sweepId));
      for (const filter of filters) q = q.where(filter);
      return q;
    };
    const axis = sort.kind === 'param' ? paramNames.indexOf(sort.label) : -1;
    const sortColumns = sort.kind === 'metric' ? [sort.metric] : axis >= 0 && axis < PARAM_AXES ? [axisColumns(axis).num, axisColumns(axis).text] : [];
    const { total: counted } = await matching().select(sql<string | number>`count(*)`.as('total')).executeTakeFirstOrThrow();
    const total = Number(counted);
    const end = page.limit === null ? total : Math.min(total, page.offset + page.limit);
    if (end <= page.offset) return { rows: [], total };

    const selected = () => matching().select(RESULT_COLUMNS);
    if (sortColumns.length > 0) {
      for (const column of sortColumns) await this.#ensureSortIndex(column);
      const rows: Array<Pick<Selectable<OperationsTable>, (typeof RESULT_COLUMNS)[number]>> = [];
      // Rows before this segment; each segment's count stops at the page's end, so a first page walks ~limit index entries.
      let first = 0;
      for (const column of sortColumns) {
        if (first >= end) break;
        const present = sql<SqlBool>`${sql.ref(column)} IS NOT NULL`;
        const capped = matching().where(present).select(sql`1`.as('one')).limit(end - first).as('capped');
        const { n } = await this.db.selectFrom(capped).select(sql<string | number>`count(*)`.as('n')).executeTakeFirstOrThrow();
        const [from, to] = [Math.max(page.offset, first), Math.min(end, first + Number(n))];
        if (from < to) {
          rows.push(...(await selected().where(present).orderBy(sql.ref(column), sort.order).orderBy('idx', 'asc').limit(to - from).offset(from - first).execute()));
        }
        first += Number(n);
      }
      if (first < end) {
        const from = Math.max(page.offset, first);
        const absent = sql<SqlBool>`${sql.join(sortColumns.map((column) => sql`${sql.ref(column)} IS NULL`), sql` AND `)}`;
        rows.push(...(await selected().where(absent).orderBy('idx', 'asc').limit(end - from).offset(from - first).execute()));
      }
      return { rows: await this.#resultRows(rows), total };
    }

    let ordered = selected();
    if (sort.kind === 'param') {
      // A parameter past PARAM_AXES has no columns: read out of the JSON and sort the sweep.
      ordered = ordered
        .orderBy(paramNumber(this.dialect, sort.label), (ob) => (sort.order === 'asc' ? ob.asc() : ob.desc()).nullsLast())
        .orderBy(paramText(this.dialect, sort.label), (ob) => (sort.order === 'asc' ? ob.asc() : ob.desc()).nullsLast());
    } else if (sort.kind === 'status') {
      ordered = ordered.orderBy('status', sort.order);
    }
    const rows = await ordered
      .orderBy('idx', sort.kind === 'idx' ? sort.order : 'asc')
      .limit(end - page.offset)
      .offset(page.offset)
      .execute();
    return { rows: await this.#resultRows(rows), total };
  }

  async #resultRows(rows: Array<Pick<Selectable<OperationsTable>, (typeof RESULT_COLUMNS)[number]>>): Promise<ResultRow[]> {
    const codes = await this.#codeVersionsOf(rows.map((row) => row.code_key));
    return rows.map((row) => toResultRow(row, codes));
  }

  /** The index (sweep_key, column, idx) a sort by `column` walks, made the first time a sort needs it. */
  async #ensureSortIndex(column: string): Promise<void> {
    const name = sortIndexName(column);
    if (this.#indexes.has(name)) return;
    await this.#write((db) => ensureSortIndex(db, this.dialect, column));
    this.#indexes.add(name);
  }

  /** param_names of those of `sweepIds` that exist, from memory once read. */
  async #knownParamNames(db: Kysely<Database>, sweepIds: string[]): Promise<Map<string, string[]>> {
    const unknown = sweepIds.filter((id) => !this.#paramNamesOf.has(id));
    if (unknown.length > 0) {
      for (const row of await db.selectFrom('sweeps').select(['id', 'param_names']).where('id', 'in', unknown).execute()) {
        this.#paramNamesOf.set(row.id, JSON.parse(row.param_names));
      }
    }
    return new Map(sweepIds.flatMap((id) => (this.#paramNamesOf.has(id) ? [[id, this.#paramNamesOf.get(id)!] as const] : [])));
  }

  /** Cells for every (x, y) pair present; `count` is the number of operations whose metric is not NULL. */
  async heatmap(sweepId: string, x: string, y: string, metric: string, agg: 'max' | 'mean'): Promise<HeatmapCell[]> {
    const paramNames = await this.#paramNames(sweepId);
    for (const [field, label] of [['x', x], ['y', y]] as const) {
      if (!paramNames.includes(label)) {
        throw new RequestError('query', field, `unknown parameter "${label}"; use one of ${paramNames.map((p) => `"${p}"`).join(', ')}`);
      }
    }
    if (!(METRIC_NAMES as readonly string[]).includes(metric)) {
      throw new RequestError('query', 'metric', `unknown metric "${metric}"; use one of ${METRIC_NAMES.map((m) => `"${m}"`).join(', ')}`);
    }
    if (agg !== 'max' && agg !== 'mean') throw new RequestError('query', 'agg', `must be "max" or "mean", got "${String(agg)}"`);
    const value = sql.ref(metric);
    const { rows } = await sql<{ x: string | null; y: string | null; value: number | string | null; count: number | string }>`
      SELECT ${paramJson(this.dialect, x)} AS x, ${paramJson(this.dialect, y)} AS y,
             ${agg === 'max' ? sql`max(${value})` : sql`avg(${value})`} AS value, count(${value}) AS count
      FROM operations WHERE sweep_key = ${sweepKey(sweepId)} GROUP BY 1, 2`.execute(this.db);
    return rows
      .filter((row): row is typeof row & { x: string; y: string } => row.x !== null && row.y !== null)
      .map((row) => ({ x: JSON.parse(row.x), y: JSON.parse(row.y), value: row.value === null ? null : Number(row.value), count: Number(row.count) }))
      .sort((a, b) => compareParamValues(a.x, b.x) || compareParamValues(a.y, b.y));
  }

  async saveWalkForwardWindow(record: WalkForwardWindowRecord): Promise<void> {
    const blob = (result: BacktestResult) => Buffer.from(encodeResult(result));
    await this.#write(async (db) => {
      await db
        .insertInto('walk_forward_windows')
        .values({
          walk_forward_id: record.walk_forward_id,
          k: record.k,
          sweep_id: record.sweep_id,
          params: record.params === null ? null : JSON.stringify(record.params),
          is_hash: record.is_hash,
          oos_hash: record.oos_hash,
          is_result: record.in_sample === null ? null : blob(record.in_sample),
          oos_result: blob(record.out_of_sample),
          created_at: new Date().toISOString(),
        })
        .onConflict((oc) => oc.columns(['walk_forward_id', 'k']).doNothing())
        .execute();
      const { done } = await db
        .selectFrom('walk_forward_windows')
        .where('walk_forward_id', '=', record.walk_forward_id)
        .select(sql<string | number>`count(*)`.as('done'))
        .executeTakeFirstOrThrow();
      await db.updateTable('sweeps').set({ completed: Number(done), updated_at: new Date().toISOString() }).where('id', '=', record.walk_forward_id).execute();
    });
  }

  async walkForwardWindows(walkForwardId: string): Promise<WalkForwardWindowRecord[]> {
    const rows = await this.db.selectFrom('walk_forward_windows').selectAll().where('walk_forward_id', '=', walkForwardId).orderBy('k', 'asc').execute();
    return rows.map((row) => ({
      walk_forward_id: row.walk_forward_id,
      k: Number(row.k),
      sweep_id: row.sweep_id,
      params: row.params === null ? null : JSON.parse(row.params),
      is_hash: row.is_hash,
      oos_hash: row.oos_hash,
      in_sample: row.is_result === null ? null : decodeResult(row.is_result),
      out_of_sample: decodeResult(row.oos_result),
    }));
  }

  async saveStatistics(statistics: SweepStatistics): Promise<void> {
    const row = { sweep_id: statistics.sweep_id, statistics: JSON.stringify(statistics), computed_at: statistics.computed_at };
    await this.#write((db) =>
      db
        .insertInto('sweep_statistics')
        .values(row)
        .onConflict((oc) => oc.column('sweep_id').doUpdateSet({ statistics: row.statistics, computed_at: row.computed_at }))
        .execute(),
    );
  }

  async getStatistics(sweepId: string): Promise<SweepStatistics | null> {
    const row = await this.db.selectFrom('sweep_statistics').select('statistics').where('sweep_id', '=', sweepId).executeTakeFirst();
    return row ? (JSON.parse(row.statistics) as SweepStatistics) : null;
  }

  async #paramNames(sweepId: string): Promise<string[]> {
    const row = await this.db.selectFrom('sweeps').select('param_names').where('id', '=', sweepId).executeTakeFirst();
    return row ? (JSON.parse(row.param_names) as string[]) : [];
  }
}

/** A sweep's key as a scalar subquery; NULL, which matches no row, for a sweep with no operations. */
function sweepKey(sweepId: string): RawBuilder<number> {
  return sql<number>`(SELECT sweep_key FROM sweep_keys WHERE sweep_id = ${sweepId})`;
}

/** The key of each sweep id, giving the ids that have none one (inside the caller's write transaction). */
async function sweepKeys(db: Kysely<Database>, sweepIds: string[]): Promise<Map<string, number>> {
  const read = async () => {
    const rows = await db.selectFrom('sweep_keys').select(['sweep_id', 'sweep_key']).where('sweep_id', 'in', sweepIds).execute();
    return new Map(rows.map((row) => [row.sweep_id, Number(row.sweep_key)]));
  };
  const keys = await read();
  if (keys.size === sweepIds.length) return keys;
  await db
    .insertInto('sweep_keys')
    .values(sweepIds.filter((id) => !keys.has(id)).map((sweep_id) => ({ sweep_id })))
    // Another process may have given one out since; its key stands.
    .onConflict((oc) => oc.column('sweep_id').doNothing())
    .execute();
  return read();
}

function toSweepRow(row: Selectable<SweepsTable>): SweepRow {
  const kind = SweepKindSchema.parse(row.kind);
  return {
    id: row.id,
    kind,
    name: row.name,
    status: SweepStatusSchema.parse(row.status),
    total: Number(row.total),
    completed: Number(row.completed),
    failed: Number(row.failed),
    primary_metric: row.primary_metric,
    spec: decodeStoredSpec(row.id, kind, row.spec),
    param_names: JSON.parse(row.param_names),
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

function toNumber(value: number | string | null): number | null {
  return value === null ? null : Number(value);
}

function metricsOf(row: MetricColumns): Metrics {
  return Object.fromEntries(METRIC_NAMES.map((m) => [m, toNumber(row[m])])) as Metrics;
}

/** `metrics` reads back as null when every metric column is NULL (a failed operation). */
function toResultRow(row: Pick<Selectable<OperationsTable>, (typeof RESULT_COLUMNS)[number]>, codes: Map<number, CodeVersion>): ResultRow {
  const metrics = metricsOf(row);
  return {
    idx: Number(row.idx),
    hash: row.hash,
    params: JSON.parse(row.params),
    status: row.status === 'done' ? 'done' : 'failed',
    error: row.error,
    metrics: METRIC_NAMES.every((m) => metrics[m] === null) ? null : metrics,
    code: row.code_key === null ? null : (codes.get(Number(row.code_key)) ?? null),
  };
}

/**
 * One row per (sweep, idx), a done record winning over a failed one (PostgreSQL refuses an upsert
 * that touches a row twice), sorted by key so that concurrent batches lock rows in the same order
 * and cannot deadlock.
 */
function toOperationRows(records: OperationRecord[], keys: Map<string, number>, paramNamesOf: Map<string, string[]>, codeKey: number): OperationsTable[] {
  const byKey = new Map<string, OperationRecord>();
  for (const record of records) {
    const key = `${record.sweep_id}\u0000${record.idx}`;
    const seen = byKey.get(key);
    if (!seen || seen.status === 'failed') byKey.set(key, record);
  }
  return [...byKey.values()]
    .map((r) => ({ record: r, sweep_key: keys.get(r.sweep_id)! }))
    .sort((a, b) => a.sweep_key - b.sweep_key || a.record.idx - b.record.idx)
    .map(({ record: r, sweep_key }) => ({
      sweep_key,
      idx: r.idx,
      hash: r.hash,
      params: JSON.stringify(r.params),
      status: r.status,
      error: r.error,
      duration_ms: r.duration_ms,
      code_key: codeKey,
      blocks: r.blocks === null ? null : Buffer.from(r.blocks.buffer, r.blocks.byteOffset, r.blocks.byteLength),
      ...(Object.fromEntries(METRIC_NAMES.map((m) => [m, r.metrics?.[m] ?? null])) as MetricColumns),
      ...axisValues(r.params, paramNamesOf.get(r.sweep_id) ?? []),
    }));
}

/** The typed axis columns of a row (migration 6); a sweep not yet created leaves them NULL. */
function axisValues(params: OperationRecord['params'], names: string[]): AxisColumns {
  const values: Record<string, number | string | null> = {};
  for (let axis = 0; axis < PARAM_AXES; axis++) {
    const { num, text } = paramKeys(axis < names.length ? params[names[axis]!] : undefined);
    const columns = axisColumns(axis);
    values[columns.num] = num;
    values[columns.text] = text;
  }
  return values as AxisColumns;
}

/** Numbers in numeric order before strings and booleans in text order (as results are sorted). */
function compareParamValues(a: string | number | boolean, b: string | number | boolean): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'number') return -1;
  if (typeof b === 'number') return 1;
  const [sa, sb] = [String(a), String(b)];
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
