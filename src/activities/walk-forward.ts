import { ApplicationFailure, heartbeat } from '@temporalio/activity';
import { isConfigError } from '../config/errors.js';
import { loadBars } from '../data/load.js';
import { windowSweepId, type WalkForwardSpec } from '../config/walk-forward-spec.js';
import { paramNames } from '../config/sweep.js';
import { idleRun } from '../engine/walk-forward.js';
import type { SweepStatus, WalkForwardWindowRecord } from '../store/types.js';
import type { RunWindowInput, WindowSummary } from '../workflows/walk-forward-types.js';
import type { ActivityDeps } from './deps.js';
import { createSweepCodeSource } from '../services/plugin-code.js';
import { recompute } from '../services/recompute.js';
import { refuseAnotherSweep, requireSubmittedSweep } from './sweep-identity.js';

/*
 * The walk-forward's activities: its sweeps row, and each window's two runs of the chosen
 * combination (in sample, again, for its curve; out of sample). A window is stored whole or not at
 * all, and a stored window is returned as it is, so a retry or a restarted walk-forward never runs
 * it twice.
 */

/** Well inside the walk-forward's heartbeat timeout. */
const HEARTBEAT_EVERY_MS = 2_000;

export function createWalkForwardActivities(deps: ActivityDeps) {
  const { store, dataRoot } = deps;

  const sweepCode = createSweepCodeSource(store);

  return {
    /** Creates (or finds) the walk-forward's sweeps row and returns the windows already stored. */
    async recordWalkForwardStart(input: { walk_forward_id: string; spec: WalkForwardSpec }): Promise<WindowSummary[]> {
      const { spec, walk_forward_id } = input;
      await requireSubmittedSweep(store, walk_forward_id);
      await refuseAnotherSweep(store, walk_forward_id, spec);
      await store.createSweep({
        id: walk_forward_id,
        kind: 'walk_forward',
        name: spec.name,
        total: spec.windows.length,
        primary_metric: spec.optimization.primary_metric,
        spec,
        param_names: paramNames(spec.optimization),
      });
      await store.setSweepStatus(walk_forward_id, 'running');
      return (await store.walkForwardWindows(walk_forward_id)).map((w) => windowSummary(w, spec));
    },

    async recordWalkForwardEnd(input: { walk_forward_id: string; status: SweepStatus }): Promise<void> {
      await store.setSweepStatus(input.walk_forward_id, input.status);
    },

    async runWindowOutOfSample(input: RunWindowInput): Promise<WindowSummary> {
      const { k, walk_forward_id } = input;
      const spec = (await store.getSweep(walk_forward_id))?.spec;
      if (spec?.kind !== 'walk_forward') throw new Error(`walk-forward ${walk_forward_id} has no sweeps row (recordWalkForwardStart writes it first)`);
      const stored = (await store.walkForwardWindows(walk_forward_id)).find((w) => w.k === k);
      if (stored) return windowSummary(stored, spec);
      // A dead worker is noticed by the heartbeat timeout, as for a sweep's packs.
      heartbeat({ k });
      const beat = setInterval(() => heartbeat({ k }), HEARTBEAT_EVERY_MS);
      try {
        const record = await runWindow(spec, input);
        await store.saveWalkForwardWindow(record);
        return windowSummary(record, spec);
      } catch (err) {
        // A user error (plugin code that threw, never returned, flooded memory or ended its thread)
        // fails the window the same way on every attempt: it fails the walk-forward, saying why.
        if (isConfigError(err)) throw ApplicationFailure.create({ type: 'ConfigError', message: err.message, nonRetryable: true });
        throw err;
      } finally {
        clearInterval(beat);
      }
    },
  };

  async function runWindow(spec: WalkForwardSpec, input: RunWindowInput): Promise<WalkForwardWindowRecord> {
    const { k, best, walk_forward_id } = input;
    const window = spec.windows[k - 1]!;
    const { base } = spec.optimization;
    const ids = { walk_forward_id, k, sweep_id: windowSweepId(walk_forward_id, k) };
    if (best === null) {
      // Nothing met min_trades in sample: the window stays out of the market.
      const bars = loadBars(base.data_source, { dataRoot, file: spec.file, field: `data_sources.${base.data_source_id}`, start: window.oos_start, end: window.oos_end });
      const idle = idleRun(bars.time, base.environment.initial_capital, base.environment.periods_per_year);
      return { ...ids, params: null, is_hash: null, oos_hash: null, in_sample: null, out_of_sample: idle };
    }
    // The chosen combination's two runs, milliseconds each on one window's bars: here with built-ins
    // only, in a contained thread with the sweep's plugin code (src/services/recompute.ts).
    const code = await sweepCode(spec.optimization.plugin_bundle);
    const runs = await recompute({ kind: 'window', spec, k, idx: best.idx }, code, dataRoot);
    deps.onExecuted?.(2);
    const { in_sample: is, out_of_sample: oos } = runs;
    return { ...ids, params: runs.params, is_hash: is.hash, oos_hash: oos.hash, in_sample: is.result, out_of_sample: oos.result };
  }
}

function windowSummary(w: WalkForwardWindowRecord, spec: WalkForwardSpec): WindowSummary {
  const metric = spec.optimization.primary_metric;
  return {
    k: w.k,
    params: w.params,
    is_value: w.in_sample?.metrics[metric] ?? null,
    oos_value: w.out_of_sample.metrics[metric],
    oos_return: w.out_of_sample.metrics.total_return,
  };
}
