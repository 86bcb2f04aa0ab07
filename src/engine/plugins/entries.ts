import { z } from 'zod';
import { definePlugin } from './types.js';

export const MarketEntryParamsSchema = z.object({}).strict();

export const marketEntry = definePlugin({
  name: 'market_entry',
  phase: 'entry_planning',
  params: MarketEntryParamsSchema,
  doc:
    'Enters at market under the environment\'s fill rule: at the next bar\'s open (fill: next_open) ' +
    'or at the signal bar\'s close (fill: close). The default when entry_planning is empty.',
  lookback: () => 0,
  create: () => ({ kind: 'entry', limitPrice: () => NaN, validBars: 0 }),
});

export const LimitEntryParamsSchema = z
  .object({
    /** Limit distance from the signal bar's close, in percent: below it for a long, above for a short. */
    offset_pct: z.number().min(0).max(50).default(0.5),
    /** Bars after the signal bar in which the order may fill before it expires. */
    valid_bars: z.number().int().min(1).max(10_000).default(3),
  })
  .strict();

export const limitEntry = definePlugin({
  name: 'limit_entry',
  phase: 'entry_planning',
  params: LimitEntryParamsSchema,
  doc:
    'Enters with a limit order at the signal close × (1 − offset_pct/100) for a long (× (1 + …) for ' +
    'a short), working in bars t+1 … t+valid_bars after the signal bar t whatever the fill rule. A ' +
    'long fills at the first of those bars whose low ≤ limit, at min(open, limit) (a gap below the ' +
    'limit fills at the better open); a short at the first high ≥ limit, at max(open, limit). ' +
    'Unfilled, it expires. An opposite event cancels it; a same-side event leaves it working. On the ' +
    'fill bar the stop is checked but the target only from the next bar, since the bar\'s high may ' +
    'have come before the fill.',
  lookback: () => 0,
  create(bars, p) {
    return {
      kind: 'entry',
      limitPrice: (side, signalBar) => bars.close[signalBar] * (1 - (side * p.offset_pct) / 100),
      validBars: p.valid_bars,
    };
  },
});
