import { z } from 'zod';
import { isoTime } from '../engine/bar-times.js';
import type { PluginSet } from '../engine/plugins/registry.js';
import { parsePlugins } from '../engine/plugins/resolve.js';
import type { PluginBundle } from '../user-plugins/bundle.js';
import { loadBars } from '../data/load.js';
import { ConfigError, isConfigError, joinPath, parseWith } from '../config/errors.js';
import { compileWhere } from '../config/expression.js';
import { comboAt } from '../config/grid.js';
import { readReferencedFile, readTopFile, resolveOptimization, type LoadedOptimization, type LoadOptions, type ResolveOptions } from './load.js';
import { applyCombo } from '../config/overrides.js';
import { NameSchema } from '../config/schemas.js';
import { optimizationSpec, type OptimizationSpec } from '../config/sweep.js';
import type { WalkForwardSpec } from '../config/walk-forward-spec.js';
import { parseWindowLength, planWindows, type WindowBars, type WindowLength, type WindowPlan } from '../config/walk-forward-windows.js';

/*
 * walk_forward.yaml (docs/formats.md): the base optimization and the windows. Loading resolves the
 * optimization as `sweeplab optimize` would, reads the base operation's bars, lays the windows over
 * them and refuses what cannot be run (a piece too short for the strategy's warm-up), so a submitted
 * walk-forward is a list of timestamps that a workflow can run without reading anything.
 */

/** Keeps a walk-forward's workflow history small without continue-as-new (about ten events a window). */
export const MAX_WINDOWS = 500;

const WINDOWS = 'walk_forward_config.windows';
const BASE = 'walk_forward_config.base_optimization';

const LengthSchema = z
  .union([z.number(), z.string()])
  .refine((v) => parseWindowLength(v) !== null, 'must be a number of bars (500, "500 bars") or a duration like "2y", "6m", "13w", "90d" or "12h"');

export const WalkForwardConfigSchema = z
  .object({
    name: NameSchema,
    description: z.string().optional(),
    /** Path to optimization.yaml, relative to this file, or its `optimization_config` inline. */
    base_optimization: z.union([z.string().min(1), z.record(z.string(), z.unknown())]),
    windows: z
      .object({
        in_sample: LengthSchema,
        out_of_sample: LengthSchema,
        /** How far each window moves on; out_of_sample when omitted. */
        step: LengthSchema.optional(),
        mode: z.enum(['anchored', 'rolling']).default('rolling'),
      })
      .strict(),
    parallel: z
      .object({ max_windows_in_flight: z.number().int().min(1).max(64).default(2) })
      .strict()
      .default({ max_windows_in_flight: 2 }),
  })
  .strict();
export const WalkForwardFileSchema = z.object({ walk_forward_config: WalkForwardConfigSchema }).strict();
export type WalkForwardConfig = z.infer<typeof WalkForwardConfigSchema>;

/** The walk-forward's spec, and the workspace's plugin bundle to store with it (as for a sweep). */
export interface LoadedWalkForward {
  spec: WalkForwardSpec;
  bundle: PluginBundle | null;
}

export function loadWalkForwardFile(file: string, opts: LoadOptions): LoadedWalkForward {
  const { doc, options } = readTopFile(file, opts);
  return resolveWalkForward(doc, options);
}

export function resolveWalkForward(doc: unknown, opts: ResolveOptions): LoadedWalkForward {
  const { file } = opts;
  const config = parseWith(WalkForwardFileSchema, doc, file).walk_forward_config;
  const loaded = baseOptimization(config, opts);
  const optimization = optimizationSpec(loaded);
  const environment = optimization.base.environment;
  if (environment.trade_from !== undefined) {
    throw new ConfigError(file, BASE, `its base operation sets trade_from "${environment.trade_from}"; a walk-forward sets it per window, so leave it out`);
  }
  const plan = windowPlan(config, file);
  const bars = loadBars(optimization.base.data_source, { dataRoot: opts.dataRoot, file, field: BASE, start: environment.start, end: environment.end });
  const warmup = gridWarmup(optimization, loaded.plugins.set);

  let windows: WindowBars[];
  try {
    windows = planWindows(bars.time, plan, MAX_WINDOWS);
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    throw new ConfigError(file, WINDOWS, `makes more than ${MAX_WINDOWS} windows over the ${bars.length} bars from ${isoTime(bars, 0)} to ${isoTime(bars, bars.length - 1)}; lengthen step`);
  }
  if (windows.length === 0) {
    throw new ConfigError(file, joinPath(WINDOWS, 'in_sample'), `"${config.windows.in_sample}" covers all ${bars.length} bars from ${isoTime(bars, 0)} to ${isoTime(bars, bars.length - 1)}; nothing is left out of sample`);
  }
  const range = (r: { from: number; to: number }) => `from ${isoTime(bars, r.from)} to ${isoTime(bars, r.to - 1)}`;
  windows.forEach((w, i) => {
    const k = i + 1;
    const isBars = w.is.to - w.is.from;
    if (isBars < warmup.bars + 2) {
      throw new ConfigError(
        file,
        joinPath(WINDOWS, 'in_sample'),
        `leaves window ${k} an in-sample piece of ${isBars} bars (${isBars ? range(w.is) : 'none'}); the strategy's longest warm-up is ${warmup.bars} bars (${warmup.plugin}), so a piece needs at least ${warmup.bars + 2}: the warm-up and two bars to trade (the out-of-sample run takes its warm-up from these bars too)`,
      );
    }
    const oosBars = w.oos.to - w.oos.from;
    if (oosBars < 2) {
      throw new ConfigError(
        file,
        joinPath(WINDOWS, 'out_of_sample'),
        `leaves window ${k} an out-of-sample piece of ${oosBars === 1 ? `1 bar (${range(w.oos)})` : 'no bars'}; a piece needs at least 2 bars to trade and measure (end the base range earlier, or change step)`,
      );
    }
    const next = windows[i + 1];
    if (next && w.oos.to > next.oos.from) {
      throw new ConfigError(
        file,
        joinPath(WINDOWS, 'step'),
        `"${config.windows.step}" is shorter than out_of_sample "${config.windows.out_of_sample}": the out-of-sample pieces of windows ${k} and ${k + 1} overlap, and a stitched out-of-sample curve holds each bar once`,
      );
    }
  });

  const spec: WalkForwardSpec = {
    kind: 'walk_forward',
    name: config.name,
    file,
    optimization,
    windows: windows.map((w, i) => ({
      k: i + 1,
      is_start: isoTime(bars, w.is.from),
      is_end: isoTime(bars, w.is.to - 1),
      oos_start: isoTime(bars, w.oos.from),
      oos_end: isoTime(bars, w.oos.to - 1),
      warmup_start: isoTime(bars, w.oos.from - warmup.bars),
      is_bars: w.is.to - w.is.from,
      oos_bars: w.oos.to - w.oos.from,
    })),
    warmup_bars: warmup.bars,
    plan: {
      in_sample: String(config.windows.in_sample),
      out_of_sample: String(config.windows.out_of_sample),
      step: String(config.windows.step ?? config.windows.out_of_sample),
      mode: config.windows.mode,
    },
    max_windows_in_flight: config.parallel.max_windows_in_flight,
  };
  return { spec, bundle: loaded.plugins.bundle };
}

/** The base optimization, from its file or inline; errors inside an inline one name its place here. */
function baseOptimization(config: WalkForwardConfig, opts: ResolveOptions): LoadedOptimization {
  if (typeof config.base_optimization === 'string') {
    const { doc, options } = readReferencedFile(config.base_optimization, opts, BASE);
    return resolveOptimization(doc, options);
  }
  try {
    return resolveOptimization({ optimization_config: config.base_optimization }, opts);
  } catch (error) {
    if (isConfigError(error) && error.file === opts.file) throw new ConfigError(opts.file, joinPath(BASE, error.field.replace(/^optimization_config\.?/, '')), error.reason);
    throw error;
  }
}

/** The three lengths, all bar counts or all calendar durations (a mix has no common clock). */
function windowPlan(config: WalkForwardConfig, file: string): WindowPlan {
  const { in_sample, out_of_sample, step = out_of_sample, mode } = config.windows;
  const lengths = [in_sample, out_of_sample, step].map((v) => parseWindowLength(v)!) as [WindowLength, WindowLength, WindowLength];
  if (new Set(lengths.map((l) => 'bars' in l)).size > 1) {
    throw new ConfigError(file, WINDOWS, `mixes bar counts and calendar durations (in_sample "${in_sample}", out_of_sample "${out_of_sample}", step "${step}"); use one kind for all three`);
  }
  return { in_sample: lengths[0], out_of_sample: lengths[1], step: lengths[2], mode };
}

/**
 * The longest warm-up of any admissible combination: the bar at which all its plugins have output
 * (the engine's first bar for signals, src/engine/plugins/resolve.ts). Every out-of-sample run is
 * given this many bars before its piece, whichever combination wins the window.
 */
function gridWarmup(spec: OptimizationSpec, plugins: PluginSet): { bars: number; plugin: string } {
  const where = spec.where ? compileWhere(spec.where, spec.grid, spec.file, 'optimization_config.constraints.where') : () => true;
  let longest = { bars: 0, plugin: 'no plugin needs one' };
  for (let idx = 0; idx < spec.grid.size; idx++) {
    const combo = comboAt(spec.grid, idx);
    if (!where(combo)) continue;
    for (const plugin of parsePlugins(applyCombo(spec.base.blueprint.workforce, spec.grid, combo), plugins)) {
      const bars = plugin.definition.lookback(plugin.params);
      if (bars > longest.bars) longest = { bars, plugin: `"${plugin.definition.name}" with ${JSON.stringify(plugin.params)}` };
    }
  }
  return longest;
}
