import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateBars } from '../../src/data/synthetic.js';

const DAY = 86_400_000;
// 2014-01-03 (a Friday) 00:00 UTC = 1,388,707,200,000 ms.
const FRI_JAN3 = 1_388_707_200_000;

function daily(seed: number, bars = 2608) {
  return generateBars({ seed, bars, start: '2014-01-01', timeframe: '1d', start_price: 100 });
}

test('gives identical arrays for the same seed', () => {
  const a = daily(42);
  const b = daily(42);
  for (const column of ['time', 'open', 'high', 'low', 'close', 'volume'] as const) assert.deepEqual(a[column], b[column], column);
});

test('gives different prices for different seeds', () => {
  assert.notDeepEqual(daily(1).close, daily(2).close);
});

test('keeps every bar consistent: low ≤ open, close ≤ high, prices > 0, volume > 0', () => {
  for (const timeframe of ['1d', '1h', '15m', '1w']) {
    for (const seed of [0, 1, 42]) {
      const bars = generateBars({ seed, bars: 20_000, start: '2014-01-01', timeframe, start_price: 3 });
      for (let i = 0; i < bars.length; i++) {
        const { open, high, low, close, volume } = { open: bars.open[i], high: bars.high[i], low: bars.low[i], close: bars.close[i], volume: bars.volume[i] };
        const ok = low > 0 && low <= open && low <= close && open <= high && close <= high && volume > 0 && Number.isFinite(high);
        assert.ok(ok, `${timeframe} seed ${seed} bar ${i}: o=${open} h=${high} l=${low} c=${close} v=${volume}`);
      }
    }
  }
});

test('opens the first bar at start_price', () => {
  assert.equal(generateBars({ seed: 5, bars: 3, start: '2014-01-01', timeframe: '1h', start_price: 123.5 }).open[0], 123.5);
});

test('skips weekends for daily bars', () => {
  const bars = generateBars({ seed: 1, bars: 6, start: '2014-01-03', timeframe: '1d', start_price: 100 });
  // Fri 3, (Sat 4, Sun 5 skipped), Mon 6, Tue 7, Wed 8, Thu 9, Fri 10.
  assert.deepEqual(Array.from(bars.time), [0, 3, 4, 5, 6, 7].map((d) => FRI_JAN3 + d * DAY));
});

test('moves a daily series starting on a weekend to the Monday after', () => {
  const bars = generateBars({ seed: 1, bars: 2, start: '2014-01-04', timeframe: '1d', start_price: 100 });
  assert.deepEqual(Array.from(bars.time), [FRI_JAN3 + 3 * DAY, FRI_JAN3 + 4 * DAY]);
});

test('runs intraday bars around the clock, weekends included', () => {
  const hourly = generateBars({ seed: 1, bars: 72, start: '2014-01-03', timeframe: '1h', start_price: 100 });
  const quarter = generateBars({ seed: 1, bars: 500, start: '2014-01-03', timeframe: '15m', start_price: 100 });
  assert.equal(hourly.time[0], FRI_JAN3);
  for (let i = 1; i < hourly.length; i++) assert.equal(hourly.time[i] - hourly.time[i - 1], 3_600_000);
  for (let i = 1; i < quarter.length; i++) assert.equal(quarter.time[i] - quarter.time[i - 1], 900_000);
  assert.equal(hourly.time[71], FRI_JAN3 + 71 * 3_600_000, 'Sunday 23:00 is a bar too');
});

test('switches between calm and volatile regimes', () => {
  // Quarterly (63-bar) volatility of log returns, highest over lowest. A constant-volatility random
  // walk of the same length gives about 1.4 (seeds 1–5); the bear regime's volatility is 2.3× the bull's.
  for (const seed of [1, 42, 2004]) {
    const close = daily(seed).close;
    const vols: number[] = [];
    for (let from = 1; from + 63 <= close.length; from += 63) {
      const r = Array.from({ length: 63 }, (_, k) => Math.log(close[from + k] / close[from + k - 1]));
      const mean = r.reduce((a, b) => a + b) / r.length;
      vols.push(Math.sqrt(r.reduce((a, b) => a + (b - mean) ** 2, 0) / (r.length - 1)));
    }
    assert.ok(Math.max(...vols) / Math.min(...vols) > 2, `seed ${seed}: ratio ${Math.max(...vols) / Math.min(...vols)}`);
  }
});

test('throws on a timeframe it cannot step', () => {
  assert.throws(() => generateBars({ seed: 1, bars: 2, start: '2014-01-01', timeframe: '1y', start_price: 100 }), /timeframe "1y"/);
});
