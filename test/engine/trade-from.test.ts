import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '../../src/config/errors.js';
import { EnvironmentSchema } from '../../src/config/schemas.js';
import { sliceBars } from '../../src/engine/bars.js';
import { flatBars, randomBars } from './bars-fixture.js';
import { run } from './run-helpers.js';

/*
 * `trade_from` (walk-forward's out-of-sample runs): the bars before it are warm-up only. The series
 * below scripts the default signal (sma_cross 1/2: bullish when the close rises after not rising,
 * bearish when it falls after not falling) with closes alone; every figure is worked out by hand.
 *
 *   bar    0   1   2   3   4   5   6   7
 *   close 10  10  11  12  11  13  13  14
 *   event  .   .  +1   .  −1  +1   .  +1      (events exist from bar 2, the slow period)
 */
const CLOSES = [10, 10, 11, 12, 11, 13, 13, 14];
/** Bar 4's time: bar i of the fixture is 2020-01-01 + i days. */
const BAR_4 = '2020-01-05';

describe('trade_from', () => {
  it('without it, trades on every signal (the reference run)', () => {
    // +1 at 2 → buy floor(1000/12) = 83 at open[3] = 12, cash 4; −1 at 4 → sell at open[5] = 13, cash
    // 4 + 1079 = 1083; +1 at 5 → buy floor(1083/13) = 83 at open[6], cash 4; equity 4 + 83 × 14 = 1166.
    const result = run(flatBars(CLOSES));
    assert.equal(result.trades.length, 1);
    assert.equal(result.metrics.final_equity, 1166);
    assert.equal(result.bars, 8);
  });

  it('acts on no signal before it and measures from it, equity starting at the initial capital', () => {
    // Bars 0–3 are warm-up: the +1 of bar 2 is ignored, the −1 of bar 4 finds the account flat; the +1
    // of bar 5 buys floor(1000/13) = 76 at open[6] = 13 (988), cash 12; equity 12 + 76 × 14 = 1076.
    const result = run(flatBars(CLOSES), {}, { trade_from: BAR_4 });
    assert.deepEqual(result.equity.v, [1000, 1000, 1000, 1076], 'equity over bars 4–7 only');
    assert.deepEqual(result.equity.t, Array.from(flatBars(CLOSES).time.subarray(4)), 'curve times are bars 4–7');
    assert.deepEqual(result.drawdown.v, [0, 0, 0, 0]);
    assert.deepEqual([result.bars, result.start, result.end], [4, '2020-01-05T00:00:00.000Z', '2020-01-08T00:00:00.000Z']);
    assert.deepEqual(result.trades, []);
    assert.equal(result.open_trade?.entry_bar, 2, 'bar 6 of the run is bar 2 of the measured range');
    assert.equal(result.open_trade?.entry_time, '2020-01-07T00:00:00.000Z');
    assert.equal(result.metrics.total_return, 1076 / 1000 - 1);
    assert.equal(result.metrics.exposure, 2 / 4, 'bars 6 and 7 of the 4 measured bars hold the position');
  });

  it('counts closed trades with bar indices relative to the measured range', () => {
    // From bar 2: the +1 of bar 2 buys 83 at open[3]; the −1 of bar 4 sells at open[5]: pnl 83.
    const result = run(flatBars(CLOSES), {}, { trade_from: '2020-01-03' });
    assert.equal(result.trades.length, 1);
    assert.deepEqual([result.trades[0]!.entry_bar, result.trades[0]!.exit_bar, result.trades[0]!.pnl], [1, 3, 83]);
    assert.equal(result.metrics.avg_trade_duration, 2, 'two days from the entry at bar 3 to the exit at bar 5');
  });

  it('under fill: close, a signal on the trade_from bar itself fills at that close', () => {
    // +1 at bar 5 = trade_from fills at close[5] = 13: 76 units, cash 12; equity 12 + 76 × 13 = 1000 at bar 5.
    const result = run(flatBars(CLOSES), {}, { trade_from: '2020-01-06', fill: 'close' });
    assert.deepEqual(result.equity.v, [1000, 1000, 1076]);
    assert.equal(result.open_trade?.entry_bar, 0);
  });

  it('gives what a run of the same workforce on bars [start, end] gives when the warm-up leaves nothing to ignore', () => {
    // With trade_from at the first bar the result is the plain run's, field for field.
    const bars = randomBars(300, 4);
    const sketch = { signal_generation: [{ plugin: 'sma_cross', params: { fast: 5, slow: 20 } }], exit_planning: [{ plugin: 'atr_exit' }] };
    const plain = run(bars, sketch);
    const from = run(bars, sketch, { trade_from: new Date(bars.time[0]!).toISOString() });
    assert.deepEqual(from, plain);
  });

  it('does not let the warm-up bars trade: the result equals a fresh account started at trade_from', () => {
    // A signal plugin's events at t read bars ≤ t, so once warmed up they are the same whether the run
    // starts long before or just warm-up bars before; only the position carried in differs, and
    // trade_from leaves none.
    const bars = randomBars(400, 7);
    const sketch = { signal_generation: [{ plugin: 'sma_cross', params: { fast: 5, slow: 20 } }] };
    const tradeFrom = new Date(bars.time[250]!).toISOString();
    const long = run(bars, sketch, { trade_from: tradeFrom });
    const short = run(sliceBars(bars, 250 - 20, 400), sketch, { trade_from: tradeFrom });
    assert.deepEqual(long.equity.v, short.equity.v, 'equity from trade_from on');
    assert.deepEqual(long.trades, short.trades);
    assert.ok(long.trades.length > 3, 'the property needs trades');
  });

  it('refuses a trade_from after the last bar, naming the field', () => {
    assert.throws(
      () => run(flatBars(CLOSES), {}, { trade_from: '2020-02-01' }),
      (error: unknown) => error instanceof ConfigError && error.field === 'trade_from' && /after the last bar/.test(error.reason),
    );
  });

  it('is refused before start by the environment schema', () => {
    const parsed = EnvironmentSchema.safeParse({ data_source: 'd', start: '2020-01-05', trade_from: '2020-01-01' });
    assert.equal(parsed.success, false);
    assert.deepEqual(parsed.error?.issues.map((i) => [i.path.join('.'), i.message]), [['trade_from', '"2020-01-01" is before start "2020-01-05"']]);
  });
});
