import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { findPlugin } from '../../src/engine/plugins/registry.js';
import type { BarSeries } from '../../src/engine/bars.js';
import { barsFrom, flatBars } from './bars-fixture.js';

function events(name: string, bars: BarSeries, params: Record<string, unknown>): number[] {
  const plugin = findPlugin(name)!;
  const worker = plugin.create(bars, plugin.params.parse(params));
  assert.equal(worker.kind, 'signal');
  return Array.from(worker.events);
}

describe('signal plugins', () => {
  it('sma_cross is bullish when the fast sma closes above the slow one after being at or below it', () => {
    // fast 1 = close, slow 2 = mean of two closes: fast > slow ⇔ the close rose.
    // 2: 11 > 10 after 10 = 10 → +1; 3: still rising → 0; 4: 11 < 12 after rising → −1; 5: flat, 11 = 11 → 0
    assert.deepEqual(events('sma_cross', flatBars([10, 10, 11, 12, 11, 11]), { fast: 1, slow: 2 }), [0, 0, 1, 0, -1, 0]);
  });

  it('ema_cross crosses on the emas', () => {
    // fast 1 = close; slow 2: α = 2/3, seed (10+10)/2 = 10; 2: 10 + 2/3 × (13 − 10) = 12 < 13 → above after equal → +1
    // 3: 12 + 2/3 × (9 − 12) = 10 > 9 → below after above → −1
    assert.deepEqual(events('ema_cross', flatBars([10, 10, 13, 9]), { fast: 1, slow: 2 }), [0, 0, 1, -1]);
  });

  it('rsi_reversion is bullish when rsi crosses below lower and bearish when it crosses above upper', () => {
    // RSI(2), changes +1, −1, +1, 0, −2. index 2: gain 0.5, loss 0.5 → 50.
    // 3: gain (0.5 + 1)/2 = 0.75, loss 0.25 → RS 3 → 75 > 70 after 50 → −1. 4: gain 0.375, loss 0.125 → 75.
    // 5: gain 0.1875, loss (0.125 + 2)/2 = 1.0625 → RS 3/17 → 100 − 100/(20/17) = 15 < 30 after 75 → +1.
    assert.deepEqual(events('rsi_reversion', flatBars([10, 11, 10, 11, 11, 9]), { period: 2, lower: 30, upper: 70 }), [0, 0, 0, -1, 0, 1]);
  });

  it('donchian_breakout fires while the close is beyond the previous period bars', () => {
    const bars = barsFrom([
      { open: 10, high: 11, low: 9, close: 10 },
      { open: 10, high: 12, low: 9, close: 11 },
      { open: 11, high: 13, low: 11, close: 12.5 }, // 12.5 > max(11, 12) = 12 → +1
      { open: 12, high: 12, low: 8, close: 8.5 }, // 8.5 < min(9, 11) = 9 → −1
      { open: 9, high: 10, low: 8, close: 9 }, // channel of bars 2, 3: high 13, low 8 → 0
    ]);
    assert.deepEqual(events('donchian_breakout', bars, { period: 2 }), [0, 0, 1, -1, 0]);
  });

  it('bollinger_reversion is bullish when the close crosses below the lower band', () => {
    // period 2, std_dev 0.5: bands = mean ± 0.5 × |a − b| / 2.
    // 1: closes 10, 10 → bands 10, 10; 2: closes 10, 8 → mean 9, std 1 → lower 8.5: 8 < 8.5 and 10 ≥ 10 → +1
    // 3: closes 8, 12 → mean 10, std 2 → upper 11: 12 > 11 and 8 ≤ upper of bar 2 (9.5) → −1
    assert.deepEqual(events('bollinger_reversion', flatBars([10, 10, 8, 12]), { period: 2, std_dev: 0.5 }), [0, 0, 1, -1]);
  });
});

