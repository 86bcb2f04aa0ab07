import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { computeMetrics, drawdownCurve } from '../../src/engine/metrics.js';
import type { Trade } from '../../src/engine/result.js';

const DAY = 86_400_000;
const days = (n: number) => Array.from({ length: n }, (_, i) => i * DAY);

function trade(pnl: number, entry_bar: number, exit_bar: number): Trade {
  return {
    direction: 'long', entry_time: '', exit_time: '', entry_price: 1, exit_price: 1, sl: null, tp: null, size: 1,
    pnl, return_pct: pnl, exit_reason: 'signal', entry_bar, exit_bar,
  };
}

function assertClose(actual: number | null, expected: number, message: string) {
  assert.ok(actual !== null && Math.abs(actual - expected) <= 1e-12 * Math.max(1, Math.abs(expected)), `${message}: ${actual} ≉ ${expected}`);
}

/*
 * Equity 100, 110, 99, 108.9, 108.9 over 5 daily bars (4 days): returns +0.1, −0.1, +0.1, 0.
 * mean 0.025; deviations 0.075, −0.125, 0.075, −0.025 → squares sum 0.0275 → sample std √(0.0275/3).
 * Downside: √((0.1²) / 4) = 0.05. Peak 110 from bar 1: drawdowns 0, 0, −0.1, −0.01, −0.01.
 * Trades pnl 10, −5, 20, 0 lasting 1, 2, 2, 0 days.
 */
const EQUITY = [100, 110, 99, 108.9, 108.9];
const TRADES = [trade(10, 0, 1), trade(-5, 1, 3), trade(20, 2, 4), trade(0, 3, 3)];
const metrics = computeMetrics({ time: days(5), equity: EQUITY, trades: TRADES, initialCapital: 100, barsInMarket: 3, periodsPerYear: 252 });

describe('metrics', () => {
  it('final_equity and total_return compare the last equity with the initial capital', () => {
    assert.equal(metrics.final_equity, 108.9);
    assertClose(metrics.total_return, 0.089, '108.9 / 100 − 1');
  });

  it('cagr compounds over years of 365.25 days', () => {
    assertClose(metrics.cagr, 1.089 ** (365.25 / 4) - 1, '4 days = 4/365.25 years');
  });

  it('sharpe_ratio is mean over sample std of bar returns, times √periods_per_year', () => {
    assertClose(metrics.sharpe_ratio, (0.025 / Math.sqrt(0.0275 / 3)) * Math.sqrt(252), 'see the series comment');
  });

  it('sortino_ratio divides by the downside deviation over all returns', () => {
    assertClose(metrics.sortino_ratio, (0.025 / 0.05) * Math.sqrt(252), 'see the series comment');
  });

  it('max_drawdown is the deepest fall below the running peak, as a negative fraction', () => {
    assertClose(metrics.max_drawdown, -0.1, '99 / 110 − 1');
    assert.deepEqual(drawdownCurve(EQUITY).map((d) => Number(d.toFixed(12))), [0, 0, -0.1, -0.01, -0.01]);
  });

  it('calmar_ratio is cagr over the absolute max drawdown', () => {
    assertClose(metrics.calmar_ratio, (1.089 ** (365.25 / 4) - 1) / 0.1, 'cagr / 0.1');
  });

  it('win_rate counts trades with pnl > 0 among all closed trades', () => {
    assert.equal(metrics.win_rate, 0.5, '2 of 4; a 0 pnl is no win');
  });

  it('profit_factor is gross profit over gross loss', () => {
    assert.equal(metrics.profit_factor, 6, '(10 + 20) / 5');
  });

  it('total_trades, avg_trade_duration in days, expectancy and exposure', () => {
    assert.equal(metrics.total_trades, 4);
    assert.equal(metrics.avg_trade_duration, 1.25, '(1 + 2 + 2 + 0) / 4 days');
    assert.equal(metrics.expectancy, 6.25, '25 / 4');
    assert.equal(metrics.exposure, 0.6, '3 of 5 bars');
  });

  it('sqn is √n × mean pnl over the sample std of pnl', () => {
    // deviations from 6.25: 3.75, −11.25, 13.75, −6.25 → squares sum 368.75 → std √(368.75/3)
    assertClose(metrics.sqn, (2 * 6.25) / Math.sqrt(368.75 / 3), 'see comment');
  });

  it('measures periods_per_year from the bars when not given', () => {
    // 4 returns over 4/365.25 years → 365.25 per year
    const measured = computeMetrics({ time: days(5), equity: EQUITY, trades: [], initialCapital: 100, barsInMarket: 0 });
    assertClose(measured.sharpe_ratio, (0.025 / Math.sqrt(0.0275 / 3)) * Math.sqrt(365.25), 'ppy 365.25');
  });

  it('reports null, not 0, for trade metrics without trades', () => {
    const none = computeMetrics({ time: days(3), equity: [100, 100, 100], trades: [], initialCapital: 100, barsInMarket: 0 });
    assert.deepEqual(
      [none.win_rate, none.profit_factor, none.avg_trade_duration, none.expectancy, none.sqn, none.total_trades],
      [null, null, null, null, null, 0],
    );
  });

  it('reports null sharpe, sortino and calmar for a flat equity curve', () => {
    const flat = computeMetrics({ time: days(3), equity: [100, 100, 100], trades: [], initialCapital: 100, barsInMarket: 0 });
    assert.deepEqual([flat.sharpe_ratio, flat.sortino_ratio, flat.max_drawdown, flat.calmar_ratio, flat.cagr], [null, null, 0, null, 0]);
  });

  it('reports a null profit_factor without a losing trade and a null sqn for one trade', () => {
    const one = computeMetrics({ time: days(2), equity: [100, 110], trades: [trade(10, 0, 1)], initialCapital: 100, barsInMarket: 1 });
    assert.deepEqual([one.profit_factor, one.sqn, one.win_rate], [null, null, 1]);
  });

  it('reports a null cagr when the bars span no time or the equity is gone', () => {
    const instant = computeMetrics({ time: [0, 0], equity: [100, 90], trades: [], initialCapital: 100, barsInMarket: 0 });
    assert.equal(instant.cagr, null);
    assert.equal(instant.sharpe_ratio, null, 'no time span: no periods per year either');
    const blown = computeMetrics({ time: days(3), equity: [100, -20, -30], trades: [], initialCapital: 100, barsInMarket: 0 });
    assert.deepEqual([blown.cagr, blown.sharpe_ratio, blown.sortino_ratio], [null, null, null]);
  });
});
