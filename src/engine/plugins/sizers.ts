import { z } from 'zod';
import { definePlugin } from './types.js';

/*
 * Sizes are in units of the asset. The most any sizer buys is "all in": equity / (price × (1 +
 * fee rate)), so notional plus entry fee never exceed the equity and cash never goes negative.
 * Whole units floor; fractional sizes keep a 1e-12 relative margin so that floating-point
 * rounding of notional + fee cannot exceed the cash either. A size of 0 skips the entry.
 */
const UnitsSchema = z.enum(['whole', 'fractional']).default('whole');
type Units = z.infer<typeof UnitsSchema>;

function allInSize(equity: number, price: number, feeRate: number): number {
  return equity / (price * (1 + feeRate));
}

function roundUnits(size: number, units: Units): number {
  return units === 'whole' ? Math.floor(size) : size * (1 - 1e-12);
}

export const AllInParamsSchema = z.object({ units: UnitsSchema }).strict();

export const allIn = definePlugin({
  name: 'all_in',
  phase: 'size_planning',
  params: AllInParamsSchema,
  doc:
    'Puts the whole equity into each trade, entry fee included: size = equity / (price × (1 + ' +
    'fees_pct/100)), floored to whole units unless units: fractional. The default sizer. A short ' +
    'sells the same number of units.',
  lookback: () => 0,
  create: (_bars, p) => ({
    kind: 'size',
    size: (equity, price, _stop, feeRate) => roundUnits(allInSize(equity, price, feeRate), p.units),
  }),
});

export const FixedFractionParamsSchema = z
  .object({
    /** Percent of equity put into each trade (entry fee included). */
    fraction_pct: z.number().gt(0).max(100).default(10),
    units: UnitsSchema,
  })
  .strict();

export const fixedFraction = definePlugin({
  name: 'fixed_fraction',
  phase: 'size_planning',
  params: FixedFractionParamsSchema,
  doc:
    'Puts fraction_pct percent of the equity into each trade, entry fee included: size = equity × ' +
    'fraction_pct/100 / (price × (1 + fees_pct/100)), floored to whole units unless units: fractional.',
  lookback: () => 0,
  create: (_bars, p) => ({
    kind: 'size',
    size: (equity, price, _stop, feeRate) => roundUnits((allInSize(equity, price, feeRate) * p.fraction_pct) / 100, p.units),
  }),
});

export const FixedRiskSizerParamsSchema = z
  .object({
    /** Percent of equity lost if the initial stop is hit (before fees and slippage on the stop). */
    risk_per_trade_percent: z.number().gt(0).max(100).default(1),
    units: UnitsSchema,
  })
  .strict();

export const fixedRiskSizer = definePlugin({
  name: 'fixed_risk_sizer',
  phase: 'size_planning',
  params: FixedRiskSizerParamsSchema,
  needsStop: true,
  doc:
    'Sizes each trade so that hitting its initial stop loses risk_per_trade_percent of equity: size = ' +
    'equity × risk/100 / |entry − stop|, capped at what all_in would buy, floored to whole units ' +
    'unless units: fractional. Needs an exit plugin that sets a stop (atr_exit, ' +
    'fixed_percentage_exit, trailing_stop). A zero stop distance (e.g. ATR 0) sizes all in.',
  lookback: () => 0,
  create: (_bars, p) => ({
    kind: 'size',
    size(equity, price, stop, feeRate) {
      const cap = allInSize(equity, price, feeRate);
      const distance = Math.abs(price - stop);
      const risked = distance > 0 ? (equity * p.risk_per_trade_percent) / 100 / distance : cap;
      return roundUnits(Math.min(risked, cap), p.units);
    },
  }),
});
