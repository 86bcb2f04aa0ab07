import { z } from 'zod';
import type { BarSeries } from '../bars.js';
import { ema, priorHighest, priorLowest, rollingStd, sma, wilderRsi } from '../indicators.js';
import { cachedSeries } from '../series-cache.js';
import { definePlugin, DirectionSchema } from './types.js';

/*
 * Every signal plugin turns bars into one Int8Array of events (+1 bullish, −1 bearish, 0 none),
 * cached per bar series and params (direction does not change the events, only how they trade).
 * A "cross" compares bar t with bar t − 1, so events start one bar after the indicators do, and any
 * NaN (warm-up) compares false: no event.
 */

export const CrossParamsSchema = z
  .object({
    fast: z.number().int().min(1).max(100_000).default(10),
    slow: z.number().int().min(2).max(100_000).default(20),
    direction: DirectionSchema,
  })
  .strict()
  .superRefine((p, ctx) => {
    if (p.fast >= p.slow) ctx.addIssue({ code: 'custom', path: ['fast'], message: `${p.fast} must be less than slow ${p.slow}` });
  });

/** +1 where `a` closes above `b` after being at or below it one bar earlier, −1 for the reverse. */
function crossEvents(a: ArrayLike<number>, b: ArrayLike<number>): Int8Array {
  const out = new Int8Array(a.length);
  for (let i = 1; i < a.length; i++) {
    if (a[i] > b[i] && a[i - 1] <= b[i - 1]) out[i] = 1;
    else if (a[i] < b[i] && a[i - 1] >= b[i - 1]) out[i] = -1;
  }
  return out;
}

function movingAverageCross(name: 'sma_cross' | 'ema_cross', average: typeof sma) {
  const kind = name === 'sma_cross' ? 'sma' : 'ema';
  return definePlugin({
    name,
    phase: 'signal_generation',
    params: CrossParamsSchema,
    doc:
      `Bullish when the fast ${kind.toUpperCase()} of closes crosses above the slow one at a bar's close ` +
      '(fast > slow now, fast ≤ slow one bar earlier), bearish on the opposite cross. fast must be ' +
      `less than slow. First event possible at bar index slow. ${kind === 'ema' ? 'EMAs use α = 2/(n+1), seeded with the SMA of the first n closes. ' : ''}` +
      'direction: long | short | both.',
    lookback: (p) => p.slow,
    create(bars, p) {
      const events = cachedSeries(bars, `${name}:${p.fast}:${p.slow}`, () =>
        crossEvents(
          cachedSeries(bars, `${kind}:close:${p.fast}`, () => average(bars.close, p.fast)),
          cachedSeries(bars, `${kind}:close:${p.slow}`, () => average(bars.close, p.slow)),
        ),
      );
      return { kind: 'signal', events, direction: p.direction };
    },
  });
}

export const smaCross = movingAverageCross('sma_cross', sma);
export const emaCross = movingAverageCross('ema_cross', ema);

export const RsiReversionParamsSchema = z
  .object({
    period: z.number().int().min(2).max(10_000).default(14),
    lower: z.number().min(0).max(100).default(30),
    upper: z.number().min(0).max(100).default(70),
    direction: DirectionSchema,
  })
  .strict()
  .superRefine((p, ctx) => {
    if (p.lower >= p.upper) ctx.addIssue({ code: 'custom', path: ['lower'], message: `${p.lower} must be less than upper ${p.upper}` });
  });

export const rsiReversion = definePlugin({
  name: 'rsi_reversion',
  phase: 'signal_generation',
  params: RsiReversionParamsSchema,
  doc:
    'Mean reversion on Wilder\'s RSI(period) of closes: bullish when the RSI crosses below `lower` ' +
    '(RSI < lower now, ≥ lower one bar earlier: oversold), bearish when it crosses above `upper` ' +
    '(overbought). First event possible at bar index period + 1. direction: long | short | both.',
  lookback: (p) => p.period + 1,
  create(bars, p) {
    const events = cachedSeries(bars, `rsi_reversion:${p.period}:${p.lower}:${p.upper}`, () => {
      const rsi = cachedSeries(bars, `rsi:${p.period}`, () => wilderRsi(bars.close, p.period));
      const out = new Int8Array(bars.length);
      for (let i = 1; i < bars.length; i++) {
        if (rsi[i] < p.lower && rsi[i - 1] >= p.lower) out[i] = 1;
        else if (rsi[i] > p.upper && rsi[i - 1] <= p.upper) out[i] = -1;
      }
      return out;
    });
    return { kind: 'signal', events, direction: p.direction };
  },
});

export const DonchianBreakoutParamsSchema = z
  .object({
    period: z.number().int().min(1).max(100_000).default(20),
    direction: DirectionSchema,
  })
  .strict();

export const donchianBreakout = definePlugin({
  name: 'donchian_breakout',
  phase: 'signal_generation',
  params: DonchianBreakoutParamsSchema,
  doc:
    'Channel breakout: bullish at every bar whose close is above the highest high of the `period` ' +
    'bars before it (the bar itself excluded), bearish when the close is below their lowest low. ' +
    'It fires on each bar beyond the channel, not only the first. First event possible at bar index ' +
    'period. direction: long | short | both.',
  lookback: (p) => p.period,
  create(bars, p) {
    const events = cachedSeries(bars, `donchian_breakout:${p.period}`, () => {
      const highest = priorHighest(bars.high, p.period);
      const lowest = priorLowest(bars.low, p.period);
      const out = new Int8Array(bars.length);
      for (let i = 0; i < bars.length; i++) {
        if (bars.close[i] > highest[i]) out[i] = 1;
        else if (bars.close[i] < lowest[i]) out[i] = -1;
      }
      return out;
    });
    return { kind: 'signal', events, direction: p.direction };
  },
});

export const BollingerReversionParamsSchema = z
  .object({
    period: z.number().int().min(2).max(10_000).default(20),
    std_dev: z.number().gt(0).max(10).default(2),
    direction: DirectionSchema,
  })
  .strict();

function bollingerEvents(bars: BarSeries, period: number, stdDev: number): Int8Array {
  const mid = cachedSeries(bars, `sma:close:${period}`, () => sma(bars.close, period));
  const sd = cachedSeries(bars, `std:close:${period}`, () => rollingStd(bars.close, mid, period));
  const close = bars.close;
  const out = new Int8Array(bars.length);
  for (let i = 1; i < bars.length; i++) {
    const lower = mid[i] - stdDev * sd[i];
    const upper = mid[i] + stdDev * sd[i];
    if (close[i] < lower && close[i - 1] >= mid[i - 1] - stdDev * sd[i - 1]) out[i] = 1;
    else if (close[i] > upper && close[i - 1] <= mid[i - 1] + stdDev * sd[i - 1]) out[i] = -1;
  }
  return out;
}

export const bollingerReversion = definePlugin({
  name: 'bollinger_reversion',
  phase: 'signal_generation',
  params: BollingerReversionParamsSchema,
  doc:
    'Mean reversion on Bollinger bands, SMA(period) ± std_dev × the population standard deviation ' +
    'of the last `period` closes: bullish when the close crosses below the lower band (below now, ' +
    'at or above one bar earlier), bearish when it crosses above the upper band. First event ' +
    'possible at bar index period. direction: long | short | both.',
  lookback: (p) => p.period,
  create(bars, p) {
    const events = cachedSeries(bars, `bollinger_reversion:${p.period}:${p.std_dev}`, () => bollingerEvents(bars, p.period, p.std_dev));
    return { kind: 'signal', events, direction: p.direction };
  },
});
