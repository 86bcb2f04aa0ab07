import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { Combo } from '../config/grid.js';
import type { SweepSpec } from '../config/sweep.js';
import type { SweepKind } from '../store/types.js';

/*
 * Types and messages shared by the sweep workflows, the activities and their callers (CLI, API).
 * Everything here crosses Temporal's boundary, so it is plain JSON.
 */

/** What the activity reports back per operation: just enough for counts, ranking and packing. */
export interface OperationSummary {
  idx: number;
  hash: string;
  status: 'done' | 'failed';
  /** The sweep's primary metric, null when undefined for this result (e.g. no trades). */
  value: number | null;
  total_trades: number | null;
  /** True when the result was found in the store and the engine did not run. */
  reused: boolean;
  error: string | null;
}

export interface RunOperationsInput {
  sweep_id: string;
  spec: SweepSpec;
  /** Grid (or variant) indices to run, all admissible. */
  indices: number[];
  /** How many of the pack's best operations to report (the sweep's top-K); default 20. */
  top_k?: number;
  /**
   * The workflow takes unfinished indices back: a cancelled pack stores what it finished and
   * returns the rest as `handed_back` instead of failing as cancelled.
   */
  hand_back?: boolean;
}

/**
 * A batch of operations as the workflow folds it: counts, and only the summaries that can matter to
 * it (the batch's best `top_k` that rank, and its failures up to a few), so an activity's result
 * stays small however large its pack.
 */
export interface BatchOutcome {
  summaries: OperationSummary[];
  done: number;
  failed: number;
  /** Of `done`, found in the store instead of run. */
  reused: number;
}

export interface RunOperationsOutput extends BatchOutcome {
  /** Wall time the activity spent on these operations (ms), for packing decisions. */
  elapsed_ms: number;
  /** Operations the engine actually executed (the rest were reused from the store). */
  executed: number;
  /** Indices of the pack not run because it was cancelled (with `hand_back`), as runs [a, b). */
  handed_back?: Array<[number, number]>;
}

export interface ScanStoredInput {
  sweep_id: string;
  spec: SweepSpec;
  /** The part of the index space to look at: [from, to). */
  from: number;
  to: number;
  top_k?: number;
}

/** The sweep's start record; `first_scan` asks for the scan of [0, first_scan.to) with it, when anything is stored. */
export interface RecordSweepStartInput {
  sweep_id: string;
  spec: SweepSpec;
  total: number;
  first_scan?: { to: number; top_k: number };
  /** An admissible index whose operation to run once, unstored, for its cost (automatic packing). */
  calibrate?: number;
}

export interface RecordSweepStartOutput {
  /** Operations of the sweep already stored as done (a restarted sweep). */
  stored: number;
  /** The scan asked for, when `stored` > 0. */
  scan?: ScanStoredOutput;
  /** What `calibrate` measured, as packing counts it (SweepCursor.op_ms); absent when it could not. */
  op_ms?: number;
}

/** What a restarted sweep finds already stored for itself in [from, to) (docs/store.md, "Reuse"). */
export interface ScanStoredOutput extends BatchOutcome {
  /** Where the scan stopped (≤ the asked `to` when the stored part is too fragmented to describe at once). */
  to: number;
  /** Ranges [a, b) whose every admissible index is stored as done, ascending; the workflow skips them. */
  skip: Array<[number, number]>;
}

export interface RankedOperation {
  idx: number;
  hash: string;
  params: Combo;
  value: number;
  total_trades: number | null;
}

/** The compact state a sweep carries from run to run (continue-as-new). */
export interface SweepCursor {
  /** Next index of the index space to consider; everything below it but `redo` is dispatched and finished. */
  next: number;
  /**
   * Admissible indices below `next` that packs handed back unrun (a pause, a worker shutting down),
   * as runs [a, b); dispatched again before the cursor moves on.
   */
  redo?: Array<[number, number]>;
  /** Admissible operations (constraint-satisfying combinations, or variants). */
  total: number;
  done: number;
  failed: number;
  /** Of `done`, how many were reused from the store without running the engine. */
  reused: number;
  executed: number;
  top: RankedOperation[];
  /** First distinct failure messages, for the status display. */
  errors: string[];
  paused: boolean;
  /** Operations per activity now in use, and the measured cost of one operation (ms). */
  pack: number;
  op_ms: number | null;
  /** Workflow time of the first run's start, epoch ms. */
  started_at: number;
  /** How many times this sweep has continued as new. */
  generation: number;
  /** Workflow time spent paused before the current pause (ms), and when the current one began (epoch ms). */
  paused_ms?: number;
  paused_since?: number | null;
  /**
   * A restarted sweep (its store already held operations): the index space below `scanned_to` has
   * been scanned, and `skip` lists the ranges found stored that are still ahead of `next`.
   * Absent on a sweep that started from nothing.
   */
  scanned_to?: number;
  skip?: Array<[number, number]>;
}

export interface SweepInput {
  spec: SweepSpec;
  cursor?: SweepCursor;
  options?: SweepOptions;
}

export interface SweepOptions {
  /** How long a silent activity may go before Temporal retries it elsewhere (s). */
  heartbeat_timeout_s?: number;
  /** Number of best operations kept in workflow state. */
  top_k?: number;
  /**
   * Whether a completed optimization starts its robustness statistics (default true). A
   * walk-forward's window optimizations do not: the walk-forward judges them out of sample.
   */
  statistics?: boolean;
}

/** The workflow that computes a completed optimization's robustness statistics, one per sweep. */
export function statisticsWorkflowId(sweepId: string): string {
  return `${sweepId}-statistics`;
}

export type SweepPhase = 'running' | 'paused' | 'draining' | 'finishing';

export interface SweepProgress {
  sweep_id: string;
  kind: SweepKind;
  name: string;
  phase: SweepPhase;
  primary_metric: string;
  /** Size of the index space before constraints. */
  space: number;
  total: number;
  done: number;
  failed: number;
  reused: number;
  executed: number;
  /** Operations dispatched and not yet finished. */
  running: number;
  pack: number;
  started_at: number;
  /** Workflow time when this progress was produced, epoch ms. */
  now: number;
  /** Of the time since started_at, how long the sweep was paused before now (ms), so rates leave it out. */
  paused_ms: number;
  /** When the current pause began (workflow time, epoch ms); null while running. */
  paused_since: number | null;
  generation: number;
  best: RankedOperation | null;
  top: RankedOperation[];
  errors: string[];
}

export interface SweepOutcome {
  id: string;
  status: 'completed';
  total: number;
  completed: number;
  failed: number;
  executed: number;
  reused: number;
  best: RankedOperation | null;
}

export const progressQuery = defineQuery<SweepProgress>('progress');
/**
 * Stop starting operations: nothing new is dispatched, and packs in flight stop at their next batch
 * boundary and hand the rest back for `resume`.
 */
export const pauseSignal = defineSignal('pause');
export const resumeSignal = defineSignal('resume');
