import type { OptimizationSpec } from './sweep.js';

/*
 * A walk-forward's specification: the base optimization and its windows, resolved at submission
 * to timestamps of the data (src/intake/walk-forward.ts), as plain JSON. It is the workflow's input
 * and what its activities receive. Pure (no Node, no zod): the workflow derives each window's child
 * optimization from it.
 */

/** One window; times are ISO 8601 UTC bar times of the data, every range inclusive. */
export interface WalkForwardWindow {
  /** 1-based: window 1 is the first. */
  k: number;
  is_start: string;
  is_end: string;
  /** The out-of-sample run trades and is measured from oos_start to oos_end ... */
  oos_start: string;
  oos_end: string;
  /** ... on bars from warmup_start, `warmup_bars` bars before oos_start (no bar after oos_end). */
  warmup_start: string;
  is_bars: number;
  oos_bars: number;
}

export interface WalkForwardSpec {
  kind: 'walk_forward';
  name: string;
  /** The file the walk-forward came from; "request body" over the API. */
  file: string;
  /** The base optimization over the base operation's whole range. */
  optimization: OptimizationSpec;
  windows: WalkForwardWindow[];
  /** The longest warm-up of any admissible combination, in bars (its first bar with every plugin's output). */
  warmup_bars: number;
  /** The window settings as written, for display. */
  plan: { in_sample: string; out_of_sample: string; step: string; mode: 'anchored' | 'rolling' };
  /** Windows whose in-sample optimization or out-of-sample run may be in flight at once. */
  max_windows_in_flight: number;
}

/** The workflow id of window k's in-sample optimization (a child of the walk-forward's workflow). */
export function windowSweepId(walkForwardId: string, k: number): string {
  return `${walkForwardId}-w${k}`;
}

/** The walk-forward and window whose sweep id windowSweepId would make `id`, or null. */
export function windowOf(id: string): { walkForwardId: string; k: number } | null {
  const match = /^(.+)-w([1-9]\d*)$/.exec(id);
  if (!match) return null;
  const window = { walkForwardId: match[1]!, k: Number(match[2]) };
  return windowSweepId(window.walkForwardId, window.k) === id ? window : null;
}

/** Window k's in-sample optimization: the base optimization on the window's in-sample range only. */
export function windowOptimization(spec: WalkForwardSpec, k: number): OptimizationSpec {
  const window = spec.windows[k - 1];
  if (!window) throw new RangeError(`window ${k} is outside 1..${spec.windows.length}`);
  const { optimization } = spec;
  return {
    ...optimization,
    name: `${spec.name} w${k} in-sample`,
    base: { ...optimization.base, environment: { ...optimization.base.environment, start: window.is_start, end: window.is_end } },
  };
}
