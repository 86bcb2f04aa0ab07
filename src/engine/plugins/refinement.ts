import { z } from 'zod';
import { sma } from '../indicators.js';
import { cachedSeries } from '../series-cache.js';
import { definePlugin } from './types.js';

export const VolumeFilterParamsSchema = z
  .object({
    /** SMA length of the volume the signal bar is compared with. */
    period: z.number().int().min(1).max(10_000).default(20),
    /** Entries need volume ≥ min_ratio × SMA(volume, period). */
    min_ratio: z.number().min(0).max(1_000).default(1),
  })
  .strict();

export const volumeFilter = definePlugin({
  name: 'volume_filter',
  phase: 'signal_refinement',
  params: VolumeFilterParamsSchema,
  doc:
    'Vetoes an entry unless the signal bar\'s volume is at least min_ratio × the SMA(period) of ' +
    'volume, the signal bar included: breakouts on thin volume are skipped. During the warm-up it ' +
    'vetoes every entry. Exits are never vetoed.',
  lookback: (p) => p.period - 1,
  create(bars, p) {
    const allowed = cachedSeries(bars, `volume_filter:${p.period}:${p.min_ratio}`, () => {
      const mean = cachedSeries(bars, `sma:volume:${p.period}`, () => sma(bars.volume, p.period));
      const out = new Uint8Array(bars.length);
      for (let i = 0; i < bars.length; i++) out[i] = bars.volume[i] >= p.min_ratio * mean[i] ? 1 : 0;
      return out;
    });
    return { kind: 'filter', allowsEntry: (bar) => allowed[bar] === 1 };
  },
});

export const CooldownParamsSchema = z
  .object({
    /** Entry signals on the exit bar and the `bars` bars after it are ignored. */
    bars: z.number().int().min(1).max(100_000).default(5),
  })
  .strict();

export const cooldown = definePlugin({
  name: 'cooldown',
  phase: 'signal_refinement',
  params: CooldownParamsSchema,
  doc:
    'No new entry within `bars` bars after an exit: with the last exit filled at bar x (by signal, ' +
    'stop, target or time), entry signals at bars x … x + bars are ignored and x + bars + 1 is the ' +
    'first that may enter. The exit half of a reversal does not veto its own entry half, which was ' +
    'decided with it.',
  lookback: () => 0,
  create: (_bars, p) => ({ kind: 'filter', allowsEntry: (bar, _side, lastExitBar) => bar - lastExitBar > p.bars }),
});
