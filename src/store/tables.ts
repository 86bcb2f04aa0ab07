import type { Generated } from 'kysely';
import type { MetricName } from '../engine/result.js';

/*
 * The tables as Kysely sees them (the database's row shapes, not the store's API types).
 * JSON documents are stored as text so both dialects keep exactly what was written; metric columns
 * are 8-byte floats (SQLite REAL, PostgreSQL double precision); times are ISO 8601 UTC strings.
 */

export interface SweepsTable {
  id: string;
  kind: string;
  name: string;
  status: string;
  total: number;
  completed: number;
  failed: number;
  primary_metric: string;
  /** JSON text of the sweep's full input. */
  spec: string;
  /** JSON text: array of the varied parameters' labels. */
  param_names: string;
  created_at: string;
  updated_at: string;
}

/** One nullable float column per metric, named as the metric. */
export type MetricColumns = { [K in MetricName]: number | null };

/** Migration 6: a sweep's first parameters as sort keys (src/store/migrations.ts, addAxisColumns). */
export type AxisColumns = { [K in `p${number}_num`]: number | null } & { [K in `p${number}_text`]: string | null };

/** Migration 7: operations name their sweep by a small integer, given out once per sweep id. */
export interface SweepKeysTable {
  sweep_key: Generated<number>;
  sweep_id: string;
}

/** One row per (sweep_key, idx) (migration 7; unique index operations_key). */
export interface OperationsTable extends MetricColumns, AxisColumns {
  sweep_key: number;
  idx: number;
  hash: string;
  /** JSON text: parameter values by label. */
  params: string;
  status: string;
  error: string | null;
  duration_ms: number;
  /** Block returns (src/store/blocks-codec.ts); NULL for failed operations and rows from before migration 3. */
  blocks: Uint8Array | null;
  /** The code that computed the row (code_versions, migration 8); NULL for rows from before it. */
  code_key: number | null;
}

/** Migration 8: one row per code version that has computed operations (src/code-version.ts). */
export interface CodeVersionsTable {
  code_key: Generated<number>;
  results_version: number;
  package_version: string;
  build_id: string;
}

/** Written before migration 3 only: one full result per hash, still read for old sweeps (docs/store.md). */
export interface ResultsTable {
  hash: string;
  operation_yaml: string;
  /** The BacktestResult, compressed (src/store/result-codec.ts). */
  result: Uint8Array;
  created_at: string;
}

export interface WalkForwardWindowsTable {
  walk_forward_id: string;
  k: number;
  sweep_id: string;
  /** JSON text of the chosen combination, or NULL. */
  params: string | null;
  is_hash: string | null;
  oos_hash: string | null;
  /** BacktestResults encoded like results.result (src/store/result-codec.ts). */
  is_result: Uint8Array | null;
  oos_result: Uint8Array;
  created_at: string;
}

export interface SweepStatisticsTable {
  sweep_id: string;
  /** JSON text of the SweepStatistics (src/stats/schemas.ts). */
  statistics: string;
  computed_at: string;
}

export interface PluginBundlesTable {
  /** sha256 of `bundle`. */
  hash: string;
  /** The JSON text of a workspace's bundled plugin files (src/user-plugins/bundle.ts). */
  bundle: string;
  created_at: string;
}

export interface StoreMigrationsTable {
  version: number;
  name: string;
  applied_at: string;
}

export interface Database {
  sweeps: SweepsTable;
  sweep_keys: SweepKeysTable;
  code_versions: CodeVersionsTable;
  operations: OperationsTable;
  results: ResultsTable;
  sweep_statistics: SweepStatisticsTable;
  plugin_bundles: PluginBundlesTable;
  store_migrations: StoreMigrationsTable;
  walk_forward_windows: WalkForwardWindowsTable;
}
