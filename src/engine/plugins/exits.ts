import { z } from 'zod';
import { wilderAtr } from '../indicators.js';
import { cachedSeries } from '../series-cache.js';
import { definePlugin, type ExitLevels, type Side } from './types.js';

/** Keeps the tighter stop: the higher one for a long, the lower one for a short. */
function tightenStop(levels: ExitLevels, side: Side, stop: number): void {
  if (side * stop > side * levels.stop) levels.stop = stop;
}

/** Keeps the nearer target: the lower one for a long, the higher one for a short. */
function tightenTarget(levels: ExitLevels, side: Side, target: number): void {
  if (side * target < side * levels.target) levels.target = target;
}

export const AtrExitParamsSchema = z
  .object({
    atr_period: z.number().int().min(1).max(10_000).default(14),
    /** Stop distance in ATRs. */
    atr_multiplier: z.number().gt(0).max(100).default(1.5),
    /** Target distance as a multiple of the stop distance. */
    risk_reward_ratio: z.number().gt(0).max(100).default(2),
  })
  .strict();

export const atrExit = definePlugin({
  name: 'atr_exit',
  phase: 'exit_planning',
  params: AtrExitParamsSchema,
  setsStop: true,
  doc:
    'Volatility-scaled stop and target: with A = Wilder ATR(atr_period) at the signal bar and E the ' +
    'entry fill price, a long gets stop E − atr_multiplier × A and target E + risk_reward_ratio × ' +
    'atr_multiplier × A (mirrored for a short). Levels are fixed at entry.',
  lookback: (p) => p.atr_period - 1,
  create(bars, p) {
    const atr = cachedSeries(bars, `atr:${p.atr_period}`, () => wilderAtr(bars.high, bars.low, bars.close, p.atr_period));
    return {
      kind: 'exit',
      plan(side, entry, signalBar, levels) {
        const risk = p.atr_multiplier * atr[signalBar];
        tightenStop(levels, side, entry - side * risk);
        tightenTarget(levels, side, entry + side * p.risk_reward_ratio * risk);
      },
    };
  },
});

export const FixedPercentageExitParamsSchema = z
  .object({
    stop_pct: z.number().gt(0).lt(100).default(2),
    target_pct: z.number().gt(0).max(10_000).default(4),
  })
  .strict();

export const fixedPercentageExit = definePlugin({
  name: 'fixed_percentage_exit',
  phase: 'exit_planning',
  params: FixedPercentageExitParamsSchema,
  setsStop: true,
  doc:
    'Stop and target at fixed percentages of the entry fill price E: a long gets stop E × (1 − ' +
    'stop_pct/100) and target E × (1 + target_pct/100), a short the mirror. Levels are fixed at entry.',
  lookback: () => 0,
  create: (_bars, p) => ({
    kind: 'exit',
    plan(side, entry, _signalBar, levels) {
      tightenStop(levels, side, entry * (1 - (side * p.stop_pct) / 100));
      tightenTarget(levels, side, entry * (1 + (side * p.target_pct) / 100));
    },
  }),
});

export const TrailingStopParamsSchema = z
  .object({
    trail_pct: z.number().gt(0).lt(100).default(3),
  })
  .strict();

export const trailingStop = definePlugin({
  name: 'trailing_stop',
  phase: 'exit_planning',
  params: TrailingStopParamsSchema,
  setsStop: true,
  doc:
    'A stop trail_pct below the best price since entry (a long: the highest high; a short: trail_pct ' +
    'above the lowest low). It starts at the entry fill price, takes in each bar\'s high (low) at the ' +
    'bar\'s close, and the new level applies from the next bar; it never loosens. The bar of a fill ' +
    'at the close does not count, since the position did not see its range. Combined with a fixed ' +
    'stop, the tighter of the two applies; the exit reason says which one hit.',
  lookback: () => 0,
  create: (_bars, p) => ({
    kind: 'exit',
    plan(_side, _entry, _signalBar, levels) {
      levels.trailPct = Math.min(levels.trailPct, p.trail_pct);
    },
  }),
});

export const TimeExitParamsSchema = z
  .object({
    max_bars: z.number().int().min(1).max(1_000_000).default(20),
  })
  .strict();

export const timeExit = definePlugin({
  name: 'time_exit',
  phase: 'exit_planning',
  params: TimeExitParamsSchema,
  doc:
    'Closes a trade at the close of bar entry_bar + max_bars, where entry_bar is the bar of the ' +
    'entry fill, whatever the fill rule (a market-on-close order known in advance). With fill: close ' +
    'the trade lives exactly max_bars bars; with next_open it also holds the entry bar itself. A stop ' +
    'or target hit earlier in that bar wins.',
  lookback: () => 0,
  create: (_bars, p) => ({
    kind: 'exit',
    plan(_side, _entry, _signalBar, levels) {
      levels.maxBars = Math.min(levels.maxBars, p.max_bars);
    },
  }),
});
