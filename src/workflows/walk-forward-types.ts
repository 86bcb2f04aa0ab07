import { defineQuery } from '@temporalio/workflow';
import type { Combo } from '../config/grid.js';
import type { WalkForwardSpec } from '../config/walk-forward-spec.js';
import type { RankedOperation, SweepOptions } from './types.js';

/* Types and messages of the walk-forward workflow, shared with its activities and callers (plain JSON). */

export interface WalkForwardInput {
  spec: WalkForwardSpec;
  /** Passed on to every window's in-sample optimization. */
  options?: SweepOptions;
}

/** What the workflow keeps of a finished window (the runs themselves are in the store). */
export interface WindowSummary {
  k: number;
  params: Combo | null;
  /** The primary metric in sample and out of sample; null when undefined (or nothing was chosen). */
  is_value: number | null;
  oos_value: number | null;
  oos_return: number | null;
}

/** The spec is read from the walk-forward's sweeps row: carried into every window's call, it would grow the history by windows². */
export interface RunWindowInput {
  walk_forward_id: string;
  k: number;
  /** The best of the window's in-sample optimization (min_trades respected); null when none qualified. */
  best: RankedOperation | null;
}

export interface WalkForwardOutcome {
  id: string;
  status: 'completed';
  windows: WindowSummary[];
}

export interface WalkForwardWindowsState {
  done: WindowSummary[];
  /** Windows whose in-sample optimization or out-of-sample run is in flight. */
  running: number[];
}

export const windowsQuery = defineQuery<WalkForwardWindowsState>('windows');
