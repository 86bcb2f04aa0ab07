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
}

export interface RunOperationsOutput {
  summaries: OperationSummary[];
  /** Wall time the activity spent on these operations (ms), for packing decisions. */
  elapsed_ms: number;
  /** Operations the engine actually executed (the rest were reused from the store). */
  executed: number;
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
  /** Next index of the index space to consider; everything below it is dispatched and finished. */
  next: number;
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
/** Stop dispatching new operations; the ones in flight finish. */
export const pauseSignal = defineSignal('pause');
export const resumeSignal = defineSignal('resume');
