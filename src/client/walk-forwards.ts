import { NotFoundError } from '../config/errors.js';
import type { Combo } from '../config/grid.js';
import { windowSweepId, type WalkForwardSpec, type WalkForwardWindow } from '../config/walk-forward-spec.js';
import type { Curve, Metrics } from '../engine/result.js';
import { summarizeWalkForward, type ParamStability } from '../engine/walk-forward.js';
import type { Store, WalkForwardWindowRecord } from '../store/types.js';

/*
 * A walk-forward's figures, read from the store, for the CLI and the API alike: every window with
 * its chosen combination and in-sample against out-of-sample metrics, and the stitched out-of-sample
 * result over the windows finished so far (src/engine/walk-forward.ts, docs/metrics.md).
 */

export interface WalkForwardWindowRow extends WalkForwardWindow {
  /** The window's in-sample optimization (a sweep: `status`, `results` work on it). */
  sweep_id: string;
  status: 'done' | 'pending';
  params: Combo | null;
  in_sample: Metrics | null;
  out_of_sample: Metrics | null;
  /** Out-of-sample CAGR over in-sample CAGR; null when undefined (docs/metrics.md). */
  efficiency: number | null;
}

export interface WalkForwardReport {
  id: string;
  name: string;
  plan: WalkForwardSpec['plan'];
  warmup_bars: number;
  primary_metric: string;
  param_names: string[];
  windows: WalkForwardWindowRow[];
  /** Over the finished windows in order; null before the first finishes. */
  stitched: { metrics: Metrics; efficiency: number | null; stability: Record<string, ParamStability>; windows: number } | null;
}

export interface WalkForwardCurves {
  /** The stitched out-of-sample equity. */
  stitched: Curve;
  /**
   * Each finished window's in-sample equity of its chosen combination, scaled to end where the
   * stitched curve enters that window's out-of-sample piece, so the two slopes compare directly.
   */
  in_sample: Array<{ k: number; params: Combo; equity: Curve }>;
}

/** null when the store has no row yet (a walk-forward just submitted, or an unknown id). */
async function stored(store: Store, id: string): Promise<{ spec: WalkForwardSpec; windows: WalkForwardWindowRecord[] } | null> {
  const row = await store.getSweep(id);
  if (!row) return null;
  const { spec } = row;
  if (spec.kind !== 'walk_forward') throw new NotFoundError('walk-forward', id, `is ${spec.kind === 'optimization' ? 'an optimization' : 'a variant test'}, not a walk-forward`);
  return { spec, windows: await store.walkForwardWindows(id) };
}

function summary(spec: WalkForwardSpec, windows: WalkForwardWindowRecord[]) {
  const { environment } = spec.optimization.base;
  return summarizeWalkForward(windows, environment.initial_capital, environment.periods_per_year);
}

export async function walkForwardReport(store: Store, id: string): Promise<WalkForwardReport | null> {
  const found = await stored(store, id);
  if (!found) return null;
  const { spec, windows } = found;
  const result = windows.length ? summary(spec, windows) : null;
  const byK = new Map(result?.windows.map((w) => [w.k, w]));
  return {
    id,
    name: spec.name,
    plan: spec.plan,
    warmup_bars: spec.warmup_bars,
    primary_metric: spec.optimization.primary_metric,
    param_names: spec.optimization.grid.axes.map((a) => a.label),
    windows: spec.windows.map((w) => {
      const done = byK.get(w.k);
      return {
        ...w,
        sweep_id: windowSweepId(id, w.k),
        status: done ? 'done' : 'pending',
        params: done?.params ?? null,
        in_sample: done?.in_sample ?? null,
        out_of_sample: done?.out_of_sample ?? null,
        efficiency: done?.efficiency ?? null,
      };
    }),
    stitched: result && { metrics: result.stitched.metrics, efficiency: result.efficiency, stability: result.stability, windows: windows.length },
  };
}

export async function walkForwardCurves(store: Store, id: string): Promise<WalkForwardCurves> {
  const found = await stored(store, id);
  if (!found || found.windows.length === 0) return { stitched: { t: [], v: [] }, in_sample: [] };
  const { spec, windows } = found;
  const { stitched } = summary(spec, windows);
  const capital = spec.optimization.base.environment.initial_capital;
  const in_sample = windows.flatMap((w, i) => {
    if (!w.in_sample || !w.params) return [];
    const last = w.in_sample.equity.v[w.in_sample.equity.v.length - 1]!;
    if (!(last > 0)) return []; // a blown in-sample account has nothing to scale
    const scale = (stitched.factors[i]! * capital) / last;
    return [{ k: w.k, params: w.params, equity: { t: w.in_sample.equity.t, v: w.in_sample.equity.v.map((x) => x * scale) } }];
  });
  return { stitched: stitched.equity, in_sample };
}
