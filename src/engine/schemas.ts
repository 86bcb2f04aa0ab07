import { z } from 'zod';
import { DateSchema, parseUtc } from '../core/dates.js';

/*
 * The engine's own vocabulary: the workforce (plugins by phase) and the environment of one backtest.
 * The config's file schemas (src/config/schemas.ts) are built from these; the engine imports no config.
 */

export const PluginEntrySchema = z
  .object({
    plugin: z.string().min(1, 'must name a plugin'),
    params: z.record(z.string(), z.unknown()).default({}),
  })
  .strict();
export type PluginEntry = z.infer<typeof PluginEntrySchema>;

const phaseList = z.array(PluginEntrySchema);

export const WorkforceSchema = z
  .object({
    context_workers: z
      .object({ regime_context: phaseList.default([]), structural_context: phaseList.default([]) })
      .strict()
      .default({ regime_context: [], structural_context: [] }),
    analysis_workers: z
      .object({
        signal_generation: phaseList.min(1, 'needs at least one signal plugin'),
        signal_refinement: phaseList.default([]),
        entry_planning: phaseList.default([]),
        exit_planning: phaseList.default([]),
        size_planning: phaseList.max(1, 'takes one sizing plugin').default([]),
      })
      .strict(),
  })
  .strict();
export type Workforce = z.infer<typeof WorkforceSchema>;

export const EnvironmentSchema = z
  .object({
    type: z.literal('backtest').default('backtest'),
    data_source: z.string().min(1),
    /** Inclusive date range to test; the whole data set when omitted. */
    start: DateSchema.optional(),
    end: DateSchema.optional(),
    initial_capital: z.number().positive().max(1e15).default(10_000),
    /** Percent of the traded notional, charged on each side (entry and exit). */
    fees_pct: z.number().min(0).max(10).default(0),
    /** Percent by which every fill price moves against the trader, each side. */
    slippage_pct: z.number().min(0).max(10).default(0),
    /** `next_open`: a signal at bar t fills at bar t+1's open. `close`: it fills at bar t's close. */
    fill: z.enum(['next_open', 'close']).default('next_open'),
    /** Close a trade still open after the last bar at the last close (and count it). */
    close_at_end: z.boolean().default(false),
    /** Annualisation factor; by default measured from the data's own bar spacing (docs/metrics.md). */
    periods_per_year: z.number().positive().max(1e7).optional(),
    /**
     * Trade and measure only from this time on: bars before it are warm-up (indicators see them,
     * signals on them are not acted on), and equity, trades and metrics cover [trade_from, end].
     * Walk-forward's out-of-sample runs set it (docs/formats.md, "walk_forward.yaml").
     */
    trade_from: DateSchema.optional(),
  })
  .strict()
  .superRefine((env, ctx) => {
    if (env.start && env.end && parseUtc(env.start) > parseUtc(env.end)) {
      ctx.addIssue({ code: 'custom', path: ['start'], message: `"${env.start}" is after end "${env.end}"` });
    }
    if (env.trade_from && env.start && parseUtc(env.trade_from) < parseUtc(env.start)) {
      ctx.addIssue({ code: 'custom', path: ['trade_from'], message: `"${env.trade_from}" is before start "${env.start}"` });
    }
  });
export type Environment = z.infer<typeof EnvironmentSchema>;
