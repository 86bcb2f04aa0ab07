/*
 * A user plugin (docs/plugins.md, "Writing a plugin"): a momentum signal on the rate of change of
 * the close. sweeplab bundles this file with its local imports (./lib/…) when a sweep is loaded;
 * editing either gives the operations that use it new hashes, so they run again.
 */
import { cachedSeries, definePlugin, DirectionSchema, z } from 'sweeplab/plugin';
import { rateOfChange } from './lib/rate-of-change.js';

export const rocMomentum = definePlugin({
  name: 'roc_momentum',
  phase: 'signal_generation',
  params: z
    .object({
      /** Bars the close is compared with. */
      period: z.number().int().min(1).max(10_000).default(20),
      /** ROC (in %) beyond which momentum counts: up above +threshold_pct, down below −threshold_pct. */
      threshold_pct: z.number().min(0).max(1_000).default(5),
      direction: DirectionSchema,
    })
    .strict(),
  doc:
    'Momentum on the rate of change of closes, ROC = 100 × (close / close `period` bars ago − 1): ' +
    'bullish when the ROC crosses above +threshold_pct (above now, at or below one bar earlier), ' +
    'bearish when it crosses below −threshold_pct. First event possible at bar index period + 1. ' +
    'direction: long | short | both.',
  lookback: (p) => p.period + 1,
  create(bars, p) {
    // Cache keys are shared by every plugin of a run: prefix them with the plugin's name.
    const events = cachedSeries(bars, `roc_momentum:${p.period}:${p.threshold_pct}`, () => {
      const roc = cachedSeries(bars, `roc_momentum:roc:${p.period}`, () => rateOfChange(bars.close, p.period));
      const out = new Int8Array(bars.length);
      for (let i = 1; i < bars.length; i++) {
        if (roc[i] > p.threshold_pct && roc[i - 1] <= p.threshold_pct) out[i] = 1;
        else if (roc[i] < -p.threshold_pct && roc[i - 1] >= -p.threshold_pct) out[i] = -1;
      }
      return out;
    });
    return { kind: 'signal', events, direction: p.direction };
  },
});
