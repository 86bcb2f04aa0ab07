import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { barsFrom, flatBars, type BarRow } from './bars-fixture.js';
import { run } from './run-helpers.js';

/**
 * Bars are scripted so that the default signal (sma_cross 1/2) is bullish when a close rises after
 * not rising and bearish when it falls after not falling; initial capital 1,000, no fees, all in,
 * whole units, unless a test says otherwise. Bar i is 2020-01-01 + i days.
 */
const bar = (open: number, high: number, low: number, close: number): BarRow => ({ open, high, low, close });

/** Bullish at bar 2 (11 > 10), bearish at bar 4 (10.75 < 12 after a rise). */
const ROUND_TRIP = barsFrom([
  bar(10, 10, 10, 10),
  bar(10, 10, 10, 10),
  bar(10, 11, 10, 11),
  bar(11.5, 12, 11.5, 12),
  bar(12, 12, 10.75, 10.75),
  bar(10.5, 10.5, 10.5, 10.5),
]);

/** Bullish at bar 2; a long filled at open[3] = 10; `rest` are bars 3 … with closes that never fall after a rise. */
function afterEntryAt10(...rest: BarRow[]) {
  return barsFrom([bar(10, 10, 10, 10), bar(10, 10, 10, 10), bar(10, 11, 10, 11), ...rest]);
}
const STOP_10_TARGET_20 = { exit_planning: [{ plugin: 'fixed_percentage_exit', params: { stop_pct: 10, target_pct: 20 } }] };

function assertClose(actual: number | null | undefined, expected: number, message?: string) {
  assert.ok(actual !== null && actual !== undefined && Math.abs(actual - expected) < 1e-9, `${actual} ≉ ${expected}${message ? `: ${message}` : ''}`);
}

describe('fills', () => {
  it('fills a signal of bar t at the open of bar t + 1 under next_open', () => {
    const result = run(ROUND_TRIP);
    // all in at 11.5: floor(1000 / 11.5) = 86 units, cash 1000 − 989 = 11; out at open[5] = 10.5: 11 + 903 = 914
    assert.deepEqual(
      result.trades.map((t) => [t.entry_bar, t.entry_time, t.entry_price, t.size, t.exit_bar, t.exit_time, t.exit_price, t.pnl, t.exit_reason]),
      [[3, '2020-01-04T00:00:00.000Z', 11.5, 86, 5, '2020-01-06T00:00:00.000Z', 10.5, -86, 'signal']],
    );
    // equity marks at closes: 11 + 86 × 12 = 1043, 11 + 86 × 10.75 = 935.5
    assert.deepEqual(result.equity.v, [1000, 1000, 1000, 1043, 935.5, 914]);
  });

  it('fills at the signal bar close under fill close', () => {
    const result = run(ROUND_TRIP, {}, { fill: 'close' });
    // in at close[2] = 11: 90 units, cash 10; out at close[4] = 10.75: 10 + 967.5 = 977.5, pnl 90 × −0.25 = −22.5
    assert.deepEqual(result.trades.map((t) => [t.entry_bar, t.entry_price, t.size, t.exit_bar, t.exit_price, t.pnl]), [[2, 11, 90, 4, 10.75, -22.5]]);
    assert.equal(result.metrics.final_equity, 977.5);
  });

  it('does not fill a signal on the last bar under next_open', () => {
    const result = run(flatBars([10, 10, 11]));
    assert.deepEqual(result.trades, []);
    assert.equal(result.open_trade, null);
    assert.deepEqual(result.equity.v, [1000, 1000, 1000]);
  });

  it('charges fees_pct of the notional on each side from cash', () => {
    const result = run(ROUND_TRIP, {}, { fees_pct: 1 });
    // floor(1000 / (11.5 × 1.01)) = floor(86.09) = 86; entry fee 9.89, exit fee 903 × 1% = 9.03
    const [trade] = result.trades;
    assert.equal(trade.size, 86);
    assertClose(trade.pnl, -86 - 9.89 - 9.03);
    assertClose(result.metrics.final_equity, 1000 - 989 - 9.89 + 903 - 9.03);
    assertClose(trade.return_pct, (-86 - 9.89 - 9.03) / 989);
  });

  it('moves every fill price against the trader by slippage_pct', () => {
    const [trade] = run(ROUND_TRIP, {}, { slippage_pct: 1 }).trades;
    // buy at 11.5 × 1.01 = 11.615, sell at 10.5 × 0.99 = 10.395; floor(1000 / 11.615) = 86
    assertClose(trade.entry_price, 11.615);
    assertClose(trade.exit_price, 10.395);
    assertClose(trade.pnl, 86 * (10.395 - 11.615));
  });

  it('slips stop fills too', () => {
    const [trade] = run(afterEntryAt10(bar(10, 11, 9.5, 11), bar(10, 10.5, 8.8, 11)), STOP_10_TARGET_20, { slippage_pct: 1 }).trades;
    // entry 10.1, stop 10.1 × 0.9 = 9.09, sold at 9.09 × 0.99
    assertClose(trade.exit_price, 9.09 * 0.99);
    assert.equal(trade.exit_reason, 'stop');
  });
});

describe('stops and targets', () => {
  it('takes the stop first when one bar touches both stop and target', () => {
    const [trade] = run(afterEntryAt10(bar(10, 12.5, 8.5, 11)), STOP_10_TARGET_20).trades;
    // entry bar of a next_open fill is checked: stop 9 and target 12 both inside 8.5 … 12.5
    assert.deepEqual([trade.exit_bar, trade.exit_price, trade.exit_reason, trade.pnl, trade.sl, trade.tp], [3, 9, 'stop', -100, 9, 12]);
  });

  it('fills a stop touched within the bar at the stop', () => {
    const [trade] = run(afterEntryAt10(bar(10, 11, 9.5, 11), bar(10, 10.5, 8.8, 11)), STOP_10_TARGET_20).trades;
    assert.deepEqual([trade.exit_bar, trade.exit_price, trade.exit_reason], [4, 9, 'stop']);
  });

  it('fills a bar that opens below the stop at the open', () => {
    const [trade] = run(afterEntryAt10(bar(10, 11, 9.5, 11), bar(8, 8.5, 7.5, 8)), STOP_10_TARGET_20).trades;
    assert.deepEqual([trade.exit_price, trade.pnl, trade.exit_reason], [8, -200, 'stop']);
  });

  it('fills a bar that opens above the target at the open', () => {
    const [trade] = run(afterEntryAt10(bar(10, 11, 9.5, 11), bar(13, 13.5, 12.5, 13)), STOP_10_TARGET_20).trades;
    assert.deepEqual([trade.exit_price, trade.pnl, trade.exit_reason], [13, 300, 'target']);
  });

  it('fills a target touched within the bar at the target', () => {
    const [trade] = run(afterEntryAt10(bar(10, 11, 9.5, 11), bar(11, 12.5, 10.5, 12)), STOP_10_TARGET_20).trades;
    assert.deepEqual([trade.exit_bar, trade.exit_price, trade.pnl, trade.exit_reason], [4, 12, 200, 'target']);
  });

  it('checks stops from the next bar for fills at the close', () => {
    // in at close[2] = 11, stop 9.9: bar 2's own low 9.5 came before the fill
    const result = run(barsFrom([bar(10, 10, 10, 10), bar(10, 10, 10, 10), bar(10, 11, 9.5, 11), bar(11, 11, 11, 11)]), STOP_10_TARGET_20, { fill: 'close' });
    assert.deepEqual(result.trades, []);
    assert.equal(result.open_trade?.entry_bar, 2);
  });

  it('sets atr_exit levels from the ATR at the signal bar', () => {
    // ATR(2): TR 1, 1, 1 → 1 at bar 2; entry 10 → stop 10 − 1 = 9, target 10 + 2 × 1 = 12, hit within bar 3
    const bars = barsFrom([bar(10, 10.5, 9.5, 10), bar(10, 10.5, 9.5, 10), bar(10, 11, 10, 11), bar(10, 12.5, 9.5, 11)]);
    const [trade] = run(bars, { exit_planning: [{ plugin: 'atr_exit', params: { atr_period: 2, atr_multiplier: 1, risk_reward_ratio: 2 } }] }).trades;
    assert.deepEqual([trade.sl, trade.tp, trade.exit_price, trade.pnl, trade.exit_reason], [9, 12, 12, 200, 'target']);
  });

  it('trails the stop behind the highest high, from the bar after the close that set it', () => {
    // entry 10, first stop 9; bar 3's high 12 → stop 10.8 from bar 4, whose low 10.5 reaches it
    const [trade] = run(afterEntryAt10(bar(10, 12, 10, 12), bar(12, 12, 10.5, 11)), { exit_planning: [{ plugin: 'trailing_stop', params: { trail_pct: 10 } }] }).trades;
    assert.equal(trade.exit_reason, 'trailing_stop');
    assert.equal(trade.exit_bar, 4);
    assertClose(trade.exit_price, 10.8);
    assert.equal(trade.sl, 9);
  });

  it('exits at the close of bar entry_bar + max_bars with time_exit', () => {
    const timeExit = { exit_planning: [{ plugin: 'time_exit', params: { max_bars: 2 } }] };
    const closeFill = run(flatBars([10, 10, 11, 11, 11, 11]), timeExit, { fill: 'close' }).trades;
    assert.deepEqual(closeFill.map((t) => [t.entry_bar, t.exit_bar, t.exit_reason]), [[2, 4, 'time']]);
    const nextOpen = run(flatBars([10, 10, 11, 11, 11, 11]), timeExit).trades;
    assert.deepEqual(nextOpen.map((t) => [t.entry_bar, t.exit_bar, t.exit_reason]), [[3, 5, 'time']]);
  });
});

describe('entries', () => {
  const limit = { entry_planning: [{ plugin: 'limit_entry', params: { offset_pct: 5, valid_bars: 2 } }] };
  const signal = [bar(10, 10, 10, 10), bar(10, 10, 10, 10), bar(10, 11, 10, 11)];

  it('fills a limit order at the limit when a later bar trades through it', () => {
    // limit 11 × 0.95 = 10.45; bar 3 low 10.6 misses, bar 4 low 10.2 fills at min(10.5, 10.45)
    const result = run(barsFrom([...signal, bar(11, 11, 10.6, 11), bar(10.5, 11, 10.2, 11)]), limit);
    assertClose(result.open_trade?.entry_price, 10.45);
    assert.equal(result.open_trade?.entry_bar, 4);
    assert.equal(result.open_trade?.size, 95, 'floor(1000 / 10.45) = 95');
  });

  it('fills a limit order at the open when the bar gaps below it', () => {
    const result = run(barsFrom([...signal, bar(11, 11, 10.6, 11), bar(10, 11, 9.9, 11)]), limit);
    assert.equal(result.open_trade?.entry_price, 10);
  });

  it('lets an unfilled limit order expire after valid_bars', () => {
    const result = run(barsFrom([...signal, bar(11, 11, 10.6, 11), bar(11, 11, 10.6, 11), bar(10, 11, 9.9, 11)]), limit);
    assert.equal(result.open_trade, null);
  });
});

describe('direction', () => {
  it('books a short with profit when the price falls', () => {
    // bearish at 2 (9 < 10), bullish at 4 (9 > 8 after a fall); short 111 at open[3] = 9, covered at open[5] = 8
    const bars = barsFrom([bar(10, 10, 10, 10), bar(10, 10, 10, 10), bar(10, 10, 9, 9), bar(9, 9, 8, 8), bar(8.5, 9, 8.5, 9), bar(8, 9, 8, 9)]);
    const result = run(bars, { signal_generation: [{ plugin: 'sma_cross', params: { fast: 1, slow: 2, direction: 'short' } }] });
    assert.deepEqual(result.trades.map((t) => [t.direction, t.size, t.entry_price, t.exit_price, t.pnl]), [['short', 111, 9, 8, 111]]);
    // cash 1000 + 999 = 1999; equity = 1999 − 111 × close: 1111 at 8, 1000 at 9; then 1999 − 888 = 1111
    assert.deepEqual(result.equity.v, [1000, 1000, 1000, 1111, 1000, 1111]);
  });

  const bothWays = flatBars([10, 10, 11, 12, 11, 10, 11, 11]);
  const both = { signal_generation: [{ plugin: 'sma_cross', params: { fast: 1, slow: 2, direction: 'both' } }] };

  it('reverses on the opposite event with direction both', () => {
    // bull 2, bear 4, bull 6, all at close 11: long 90 → short 90 → long 90
    const result = run(bothWays, both, { fill: 'close' });
    assert.deepEqual(
      result.trades.map((t) => [t.direction, t.entry_bar, t.exit_bar, t.exit_reason]),
      [['long', 2, 4, 'reverse'], ['short', 4, 6, 'reverse']],
    );
    assert.equal(result.open_trade?.direction, 'long');
    // short 90 at 11 from cash 1000 → cash 1990; at close 10: 1990 − 900 = 1090
    assert.equal(result.equity.v[5], 1090);
  });

  it('closes the last trade at the last close when close_at_end is true', () => {
    const result = run(bothWays, both, { fill: 'close', close_at_end: true });
    assert.deepEqual(result.trades.at(-1)?.exit_reason, 'end');
    assert.equal(result.trades.at(-1)?.exit_bar, 7);
    assert.equal(result.open_trade, null);
    assert.equal(result.metrics.total_trades, 3);
  });

  it('leaves the last trade open, out of the trade metrics, when close_at_end is false', () => {
    const result = run(bothWays, both, { fill: 'close', close_at_end: false });
    assert.equal(result.metrics.total_trades, 2);
    assert.deepEqual([result.open_trade?.entry_bar, result.open_trade?.size, result.open_trade?.pnl], [6, 90, 0]);
    // marked to market: cash 10 + 90 × 11
    assert.equal(result.metrics.final_equity, 1000);
  });
});

describe('sizing', () => {
  const targetBars = afterEntryAt10(bar(10, 11, 9.5, 11), bar(11, 12.5, 10.5, 12));

  it('floors all_in to whole units', () => {
    assert.equal(run(ROUND_TRIP).trades[0].size, 86, 'floor(1000 / 11.5) = floor(86.96)');
  });

  it('buys fractional units with all_in units fractional', () => {
    const [trade] = run(ROUND_TRIP, { size_planning: [{ plugin: 'all_in', params: { units: 'fractional' } }] }).trades;
    assertClose(trade.size, 1000 / 11.5);
  });

  it('sizes fixed_risk_sizer from the stop distance', () => {
    // risk 1 % of 1000 = 10 over |10 − 9| = 1 → 10 units; target 12 → pnl 20
    const [trade] = run(targetBars, { ...STOP_10_TARGET_20, size_planning: [{ plugin: 'fixed_risk_sizer', params: { risk_per_trade_percent: 1 } }] }).trades;
    assert.deepEqual([trade.size, trade.pnl], [10, 20]);
  });

  it('caps fixed_risk_sizer at what all_in buys', () => {
    // 50 % of 1000 / 1 = 500 units, but 1000 / 10 buys 100
    const [trade] = run(targetBars, { ...STOP_10_TARGET_20, size_planning: [{ plugin: 'fixed_risk_sizer', params: { risk_per_trade_percent: 50 } }] }).trades;
    assert.equal(trade.size, 100);
  });

  it('puts fraction_pct of equity into a trade with fixed_fraction', () => {
    const [trade] = run(targetBars, { ...STOP_10_TARGET_20, size_planning: [{ plugin: 'fixed_fraction', params: { fraction_pct: 25 } }] }).trades;
    assert.equal(trade.size, 25, '25 % of 1000 at 10');
  });
});

describe('filters', () => {
  // bullish at 5: 11 > 10 after 10 = 10, fill at close
  const dip = flatBars([14, 14, 14, 10, 10, 11]);

  it('blocks a long entry while trend_filter says the close is below its sma', () => {
    // SMA(5) at bar 5 = (14 + 14 + 10 + 10 + 11) / 5 = 11.8 > 11 → regime −1
    const result = run(dip, { regime_context: [{ plugin: 'trend_filter', params: { period: 5 } }] }, { fill: 'close' });
    assert.equal(result.open_trade, null);
  });

  it('lets a long entry through when trend_filter says the close is above its sma', () => {
    // SMA(2) at bar 5 = 10.5 < 11 → regime +1
    const result = run(dip, { regime_context: [{ plugin: 'trend_filter', params: { period: 2 } }] }, { fill: 'close' });
    assert.equal(result.open_trade?.entry_bar, 5);
  });

  it('vetoes an entry on thin volume with volume_filter', () => {
    const rows = (volume: number) => [10, 10, 11].map((c, i) => ({ open: c, high: c, low: c, close: c, volume: i === 2 ? volume : 1000 }));
    const filter = { signal_refinement: [{ plugin: 'volume_filter', params: { period: 2, min_ratio: 1 } }] };
    // SMA(2) of volume at bar 2: (1000 + 500) / 2 = 750 > 500 → veto; (1000 + 1500) / 2 = 1250 ≤ 1500 → entry
    assert.equal(run(barsFrom(rows(500)), filter, { fill: 'close' }).open_trade, null);
    assert.equal(run(barsFrom(rows(1500)), filter, { fill: 'close' }).open_trade?.entry_bar, 2);
  });

  it('blocks entries outside the volatility band with volatility_filter', () => {
    // ATR(1) at bar 2 = true range = |11 − 10| = 1 → 1 / 11 = 9.09 %
    const filter = (max: number) => ({ structural_context: [{ plugin: 'volatility_filter', params: { period: 1, max_atr_pct: max } }] });
    assert.equal(run(flatBars([10, 10, 11]), filter(5), { fill: 'close' }).open_trade, null);
    assert.equal(run(flatBars([10, 10, 11]), filter(10), { fill: 'close' }).open_trade?.entry_bar, 2);
  });

  it('ignores entry signals within cooldown bars after an exit', () => {
    // bullish at 2, 4, 6; time_exit after 1 bar: exits at 3, 5, 7. Cooldown 2 after the exit at 3 blocks bar 4 (4 − 3 ≤ 2), not 6.
    const bars = flatBars([10, 10, 11, 11, 12, 12, 13, 13]);
    const timeExit = { exit_planning: [{ plugin: 'time_exit', params: { max_bars: 1 } }] };
    const without = run(bars, timeExit, { fill: 'close' });
    const withCooldown = run(bars, { ...timeExit, signal_refinement: [{ plugin: 'cooldown', params: { bars: 2 } }] }, { fill: 'close' });
    assert.deepEqual(without.trades.map((t) => t.entry_bar), [2, 4, 6]);
    assert.deepEqual(withCooldown.trades.map((t) => t.entry_bar), [2, 6]);
  });
});
