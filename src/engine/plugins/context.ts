import { z } from 'zod';
import { sma, wilderAtr } from '../indicators.js';
import { cachedSeries } from '../series-cache.js';
import { definePlugin } from './types.js';

export const TrendFilterParamsSchema = z
  .object({
    /** SMA length the close is compared with. */
    period: z.number().int().min(2).max(100_000).default(200),
  })
  .strict();

export const trendFilter = definePlugin({
  name: 'trend_filter',
  phase: 'regime_context',
  params: TrendFilterParamsSchema,
  doc:
    'Publishes a regime per bar: +1 when the close is above its SMA(period), −1 below, 0 when equal ' +
    'or during the warm-up. Entries are only taken in the regime\'s direction (a long needs +1, a ' +
    'short −1), so 0 blocks every entry. Exits are never blocked.',
  lookback: (p) => p.period - 1,
  create(bars, p) {
    const regime = cachedSeries(bars, `trend_filter:${p.period}`, () => {
      const mean = cachedSeries(bars, `sma:close:${p.period}`, () => sma(bars.close, p.period));
      const out = new Int8Array(bars.length);
      // NaN during warm-up compares false both ways: regime 0.
      for (let i = 0; i < bars.length; i++) out[i] = bars.close[i] > mean[i] ? 1 : bars.close[i] < mean[i] ? -1 : 0;
      return out;
    });
    return { kind: 'filter', allowsEntry: (bar, side) => regime[bar] === side };
  },
});

export const VolatilityFilterParamsSchema = z
  .object({
    /** Wilder ATR length. */
    period: z.number().int().min(1).max(10_000).default(14),
    /** Entries need ATR / close × 100 within [min_atr_pct, max_atr_pct]. */
    min_atr_pct: z.number().min(0).max(100).default(0),
    max_atr_pct: z.number().min(0).max(100).default(100),
  })
  .strict()
  .superRefine((p, ctx) => {
    if (p.min_atr_pct > p.max_atr_pct) {
      ctx.addIssue({ code: 'custom', path: ['min_atr_pct'], message: `${p.min_atr_pct} is greater than max_atr_pct ${p.max_atr_pct}` });
    }
  });

export const volatilityFilter = definePlugin({
  name: 'volatility_filter',
  phase: 'structural_context',
  params: VolatilityFilterParamsSchema,
  doc:
    'Blocks entries while the volatility, ATR(period) / close in percent (Wilder ATR), lies outside ' +
    '[min_atr_pct, max_atr_pct] (bounds inclusive), e.g. to skip dead or wild markets. During the ' +
    'ATR warm-up it blocks every entry. Exits are never blocked.',
  lookback: (p) => p.period - 1,
  create(bars, p) {
    const allowed = cachedSeries(bars, `volatility_filter:${p.period}:${p.min_atr_pct}:${p.max_atr_pct}`, () => {
      const atr = cachedSeries(bars, `atr:${p.period}`, () => wilderAtr(bars.high, bars.low, bars.close, p.period));
      const out = new Uint8Array(bars.length);
      for (let i = 0; i < bars.length; i++) {
        const pct = (atr[i] / bars.close[i]) * 100;
        out[i] = pct >= p.min_atr_pct && pct <= p.max_atr_pct ? 1 : 0;
      }
      return out;
    });
    return { kind: 'filter', allowsEntry: (bar) => allowed[bar] === 1 };
  },
});
