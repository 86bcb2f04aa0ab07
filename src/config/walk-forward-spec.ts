import type { z } from 'zod';
import type { WalkForwardSpecSchema, WalkForwardWindowSchema } from './stored-spec.js';
import type { OptimizationSpec } from './sweep.js';

/*
 * A walk-forward's specification: the base optimization and its windows, resolved at submission
 * to timestamps of the data (src/intake/walk-forward.ts), as plain JSON. It is the workflow's input
 * and what its activities receive. Pure (no Node, no zod at run time; its types are inferred from the schemas in
 * src/config/stored-spec.ts): the workflow derives each window's child
 * optimization from it.
 */

/** One window; times are ISO 8601 UTC bar times of the data, every range inclusive (the schema has each field's meaning). */
export type WalkForwardWindow = z.infer<typeof WalkForwardWindowSchema>;
export type WalkForwardSpec = z.infer<typeof WalkForwardSpecSchema>;

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
