import { z } from 'zod';
import type { Combo } from '../config/grid.js';
import type { StoredSpec } from '../config/stored-spec.js';
import type { BlockReturns } from '../engine/block-returns.js';
import type { BacktestResult, MetricName, Metrics } from '../engine/result.js';
import type { CodeVersion } from '../code-version.js';
import type { SweepStatistics } from '../stats/schemas.js';

/*
 * The results store's contract. One implementation (src/store/store.ts) speaks SQLite (default,
 * a file under ./data, WAL) and PostgreSQL (DATABASE_URL) through one query builder.
 *
 * Tables (docs/store.md):
 *   sweeps      one row per sweep (its workflow id), with kind, name, status, counts and its spec.
 *   sweep_keys  one row per sweep id that has operations: the integer that names it in operations.
 *   code_versions  one row per code version (results version, package version, build id) that
 *               computed operations: the integer that names it in operations (docs/store.md).
 *   operations  one row per (sweep, grid index): operation hash, params, status, error, metrics and
 *               block returns. Everything else of an operation (its YAML, curves, trades) is a pure
 *               function of the sweep's spec and the index, recomputed when asked for.
 *   results     full results of operations stored before migration 3, read for old sweeps only.
 *   walk_forward_windows  one row per (walk-forward, window): the combination chosen in sample and
 *               its in-sample and out-of-sample runs (a walk-forward is a sweeps row of kind walk_forward).
 *   plugin_bundles  one row per user plugin bundle (its sha256 and text), fetched by workers.
 *   sweep_statistics  one row per optimization: its robustness statistics (src/stats), as JSON.
 * Every write is idempotent, so a retried activity or a resumed sweep never stores a row twice.
 */

export const SweepKindSchema = z.enum(['optimization', 'variant_test', 'walk_forward']);
export type SweepKind = z.infer<typeof SweepKindSchema>;

export const SweepStatusSchema = z.enum(['running', 'paused', 'completed', 'failed', 'cancelled', 'terminated']);
export type SweepStatus = z.infer<typeof SweepStatusSchema>;

export interface NewSweep {
  id: string;
  kind: SweepKind;
  name: string;
  total: number;
  primary_metric: string;
  /**
   * The sweep's full input, so it can be resumed and inspected; stored with its version and decoded
   * by its kind's schema when read (src/config/stored-spec.ts, docs/store.md).
   */
  spec: StoredSpec;
  /** Names of the varied parameters (optimization) or ["variant"]; the results table's param columns. */
  param_names: string[];
}

export interface SweepRow extends NewSweep {
  status: SweepStatus;
  completed: number;
  failed: number;
  created_at: string;
  updated_at: string;
}

export interface OperationRecord {
  sweep_id: string;
  /** Index of the combination in the grid (or of the variant in the list). */
  idx: number;
  hash: string;
  /** Parameter values by label (optimization) or `{ variant: name }`. */
  params: Combo;
  status: 'done' | 'failed';
  /** The user-facing failure message when status is failed. */
  error: string | null;
  metrics: Metrics | null;
  /** Wall time of the engine run in ms; 0 when the result was reused from another sweep. */
  duration_ms: number;
  /** Block returns encoded by src/store/blocks-codec.ts (as the pool threads hand them over); null when failed. */
  blocks: Uint8Array | null;
}

/** An operation copyDone stored (or found stored) as done: what a sweep's fold needs of it. */
export interface CopiedOperation {
  idx: number;
  hash: string;
  /** The copied value of the metric asked for. */
  value: number | null;
  total_trades: number | null;
}

/** A done operation's row with its block returns, for the robustness statistics. */
export type BlockReturnsRow = Pick<OperationRecord, 'idx' | 'hash' | 'params'> & { metrics: Metrics; blocks: BlockReturns | null };

export interface ResultsQuery {
  /** A metric name, a param label, `idx` or `status`. */
  sort?: string;
  order?: 'asc' | 'desc';
  limit?: number;
  offset?: number;
  /** Conditions ANDed together, e.g. `sharpe_ratio>1`, `fast=10`, `total_trades>=5`. */
  filter?: ResultFilter[];
}

export interface ResultFilter {
  field: string;
  op: '=' | '!=' | '<' | '<=' | '>' | '>=';
  value: string | number;
}

/**
 * A row of a sweep's results table: its operation record without the bookkeeping, and the code that
 * computed it (null for rows stored before migration 8). A row copied from another sweep names the
 * code that computed it there.
 */
export type ResultRow = Pick<OperationRecord, 'idx' | 'hash' | 'params' | 'status' | 'error' | 'metrics'> & { code: CodeVersion | null };

/** How many of a sweep's rows each code version computed (null: rows from before migration 8). */
export interface CodeVersionCount {
  code: CodeVersion | null;
  done: number;
  failed: number;
}

export interface HeatmapCell {
  x: string | number | boolean;
  y: string | number | boolean;
  value: number | null;
  count: number;
}

/** A finished walk-forward window (src/workflows/walk-forward.ts). */
export interface WalkForwardWindowRecord {
  walk_forward_id: string;
  /** 1-based window number. */
  k: number;
  /** The window's in-sample optimization, a sweep of its own. */
  sweep_id: string;
  /** The combination chosen in sample; null when none met min_trades (the window stays out of the market). */
  params: Combo | null;
  is_hash: string | null;
  oos_hash: string | null;
  in_sample: BacktestResult | null;
  out_of_sample: BacktestResult;
}

export interface Store {
  readonly dialect: 'sqlite' | 'postgres';
  /** Which database this is, for messages: the SQLite file, or PostgreSQL's host, port and database (never credentials). */
  readonly location: string;
  /** Creates or upgrades the tables; safe to call from every process at start-up. */
  migrate(): Promise<void>;
  close(): Promise<void>;
  /** Round trip to the database, for health checks. */
  ping(): Promise<void>;

  /** Inserts the sweep, or leaves an existing one with the same id as it is. */
  createSweep(sweep: NewSweep): Promise<void>;
  getSweep(id: string): Promise<SweepRow | null>;
  listSweeps(query: { kind?: SweepKind; status?: SweepStatus; limit?: number; offset?: number }): Promise<{ rows: SweepRow[]; total: number }>;
  setSweepStatus(id: string, status: SweepStatus): Promise<void>;
  /** Recounts completed/failed from the operations table (the truth) and stores them on the sweep. */
  refreshSweepCounts(id: string): Promise<{ completed: number; failed: number }>;

  /**
   * Stores operation rows, each recording this store's code version (the process that computed
   * them); a row whose (sweep_id, idx) exists is left as it is unless it failed before.
   */
  recordOperations(rows: OperationRecord[]): Promise<void>;
  /**
   * For each entry whose hash has a done row in any sweep, writes that row's results (metrics,
   * blocks, the code version that computed them) as the done row of `sweepId` at `idx` with these params (typed axis columns filled as
   * recordOperations fills them, duration_ms 0), in one statement per chunk inside the database,
   * with recordOperations' conflict rule: a done row stays as it is, a failed one is replaced.
   * Returns, by idx, per entry copied and per entry whose row at idx was done already with this hash
   * (a retried activity counts those too): its idx and hash, its value of `metric`, and total_trades.
   * Entries with no done row anywhere are left out (the caller runs them), and so is an entry whose
   * row at idx is done with another hash; of two entries with one idx, the first counts.
   */
  copyDone(sweepId: string, entries: Array<{ idx: number; hash: string; params: Combo }>, metric: MetricName): Promise<CopiedOperation[]>;
  /** Grid indices of this sweep already stored as done, within [from, to). */
  doneIndices(sweepId: string, from: number, to: number): Promise<Set<number>>;
  /** The sweep's rows by the code version that computed them, oldest code version first. */
  codeVersionCounts(sweepId: string): Promise<CodeVersionCount[]>;
  /**
   * Deletes the sweep's rows of another results version than this store's code (rows from before
   * migration 8 included), so that a sweep carried on by new code recomputes them rather than mixing
   * two codes' numbers; returns how many went.
   */
  dropOtherResultsVersions(sweepId: string): Promise<number>;
  /** Where an operation with this hash was run: a sweep and its index there (the oldest sweep first), or null. */
  locateOperation(hash: string): Promise<{ sweep_id: string; idx: number } | null>;
  /** Index and params of these operations of the sweep, by idx; hashes not in the sweep are left out. */
  operationsOf(sweepId: string, hashes: string[]): Promise<Array<{ hash: string; idx: number; params: ResultRow['params'] }>>;
  /** Full results stored before migration 3, by hash (absent for anything run since). */
  legacyResults(hashes: string[]): Promise<Map<string, BacktestResult>>;
  /**
   * Done operations of a sweep by idx with their block returns, `blocks` spec blocks each (rows from
   * before migration 3 have them computed from their stored result, or null without one).
   */
  blockReturns(sweepId: string, page?: { limit?: number; offset?: number }): Promise<BlockReturnsRow[]>;

  /** Stores a plugin bundle's text under its hash; saving the same hash again is a no-op. */
  savePluginBundle(bundle: { hash: string; text: string }): Promise<void>;
  /** The text stored under `hash`, or null. The caller checks that it hashes to `hash`. */
  getPluginBundle(hash: string): Promise<string | null>;

  queryResults(sweepId: string, query: ResultsQuery): Promise<{ rows: ResultRow[]; total: number }>;
  heatmap(sweepId: string, x: string, y: string, metric: string, agg: 'max' | 'mean'): Promise<HeatmapCell[]>;

  /** Stores a finished window (a second save of the same window is a no-op) and counts it on the walk-forward's sweeps row. */
  saveWalkForwardWindow(record: WalkForwardWindowRecord): Promise<void>;
  /** The finished windows of a walk-forward, by window number. */
  walkForwardWindows(walkForwardId: string): Promise<WalkForwardWindowRecord[]>;

  /** Stores a sweep's robustness statistics, replacing earlier ones. */
  saveStatistics(statistics: SweepStatistics): Promise<void>;
  /** The latest robustness statistics of a sweep; null when none were computed. */
  getStatistics(sweepId: string): Promise<SweepStatistics | null>;
}
