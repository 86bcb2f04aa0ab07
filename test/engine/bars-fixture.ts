import { mulberry32 } from '../../src/core/random.js';
import { allocateBars, type BarSeries } from '../../src/engine/bars.js';

const DAY_MS = 86_400_000;
/** 2020-01-01T00:00:00Z: bar i of a fixture is day i after it. */
export const T0 = Date.UTC(2020, 0, 1);

export interface BarRow {
  open: number;
  high: number;
  low: number;
  close: number;
  volume?: number;
}

/** Daily bars from rows; volume defaults to 1,000. */
export function barsFrom(rows: readonly BarRow[]): BarSeries {
  const bars = allocateBars(rows.length);
  rows.forEach((row, i) => {
    bars.time[i] = T0 + i * DAY_MS;
    bars.open[i] = row.open;
    bars.high[i] = row.high;
    bars.low[i] = row.low;
    bars.close[i] = row.close;
    bars.volume[i] = row.volume ?? 1_000;
  });
  return bars;
}

/** Bars where open = high = low = close (no intrabar range), one per close. */
export function flatBars(closes: readonly number[]): BarSeries {
  return barsFrom(closes.map((c) => ({ open: c, high: c, low: c, close: c })));
}

/** A deterministic random walk (mulberry32) with real ranges, for property tests and benches. */
export function randomBars(length: number, seed: number): BarSeries {
  const random = mulberry32(seed);
  const bars = allocateBars(length);
  let price = 100;
  for (let i = 0; i < length; i++) {
    const open = price * (1 + (random() - 0.5) * 0.01);
    const close = open * (1 + (random() - 0.5) * 0.04);
    bars.time[i] = T0 + i * DAY_MS;
    bars.open[i] = open;
    bars.close[i] = close;
    bars.high[i] = Math.max(open, close) * (1 + random() * 0.01);
    bars.low[i] = Math.min(open, close) * (1 - random() * 0.01);
    bars.volume[i] = 500 + Math.floor(random() * 1_000);
    price = close;
  }
  return bars;
}
