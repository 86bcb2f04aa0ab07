import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { computeMetrics } from '../../src/engine/metrics.js';
import type { BacktestResult, Trade } from '../../src/engine/result.js';
import { idleRun, parameterStability, stitchOutOfSample, summarizeWalkForward, walkForwardEfficiency, type WindowRuns } from '../../src/engine/walk-forward.js';

const DAY_MS = 86_400_000;
const T0 = Date.UTC(2020, 0, 1);

function trade(entry_bar: number, exit_bar: number, pnl: number): Trade {
  return { direction: 'long', entry_time: '', exit_time: '', entry_price: 10, exit_price: 10, sl: null, tp: null, size: 2, pnl, return_pct: 0, exit_reason: 'signal', entry_bar, exit_bar };
}

/** A run over days `from`… of the fixture calendar with these equities and trades; metrics from computeMetrics. */
function runOf(from: number, equity: number[], trades: Trade[], barsInMarket: number, capital = 100): BacktestResult {
  const t = equity.map((_, i) => T0 + (from + i) * DAY_MS);
  const metrics = computeMetrics({ time: t, equity, trades, initialCapital: capital, barsInMarket });
  return { metrics, equity: { t, v: equity }, drawdown: { t, v: [] }, trades, open_trade: null, bars: t.length, start: '', end: '' };
}

describe('stitchOutOfSample', () => {
  // Piece 1: 100 → 110 → 120 (one trade, pnl 20). Piece 2 from the capital again: 100 → 90 → 105
  // (pnl 5), scaled by 120/100 = 1.2 to 120 → 108 → 126.
  const windows: WindowRuns[] = [
    { k: 1, params: { fast: 10 }, in_sample: null, out_of_sample: runOf(0, [100, 110, 120], [trade(0, 2, 20)], 2) },
    { k: 2, params: { fast: 20 }, in_sample: null, out_of_sample: runOf(3, [100, 90, 105], [trade(1, 2, 5)], 1) },
  ];

  it('chains each piece on the previous piece\'s final equity', () => {
    const s = stitchOutOfSample(windows, 100);
    assert.deepEqual(s.equity.v, [100, 110, 120, 120, 108, 126]);
    assert.deepEqual(s.equity.t, [0, 1, 2, 3, 4, 5].map((d) => T0 + d * DAY_MS));
    assert.deepEqual(s.factors, [1, 1.2]);
    assert.deepEqual(s.drawdown.v.map((x) => Number(x.toFixed(6))), [0, 0, 0, 0, -0.1, 0]);
  });

  it('moves the trades onto the stitched bars and into the stitched money', () => {
    const s = stitchOutOfSample(windows, 100);
    assert.deepEqual(s.trades.map((t) => [t.entry_bar, t.exit_bar, t.pnl, t.size]), [
      [0, 2, 20, 2],
      [4, 5, 6, 2.4],
    ]);
  });

  it('measures the stitched curve with the same metrics as one backtest', () => {
    const s = stitchOutOfSample(windows, 100);
    assert.equal(s.metrics.total_return, 126 / 100 - 1);
    assert.equal(s.metrics.max_drawdown, 108 / 120 - 1);
    assert.equal(s.metrics.total_trades, 2);
    assert.equal(s.metrics.exposure, 3 / 6, '2 + 1 bars in the market of 6');
    assert.deepEqual(s.metrics, computeMetrics({ time: s.equity.t, equity: s.equity.v, trades: s.trades, initialCapital: 100, barsInMarket: 3 }));
  });

  it('orders the pieces by window number whatever order they come in', () => {
    assert.deepEqual(stitchOutOfSample([...windows].reverse(), 100).equity.v, [100, 110, 120, 120, 108, 126]);
  });
});

describe('walkForwardEfficiency', () => {
  it('is the out-of-sample CAGR over the in-sample CAGR', () => {
    assert.equal(walkForwardEfficiency(0.5, 0.25), 0.5);
    assert.equal(walkForwardEfficiency(0.2, -0.1), -0.5);
  });

  it('is null when the in-sample CAGR is not positive or either is undefined', () => {
    assert.equal(walkForwardEfficiency(-0.1, 0.2), null);
    assert.equal(walkForwardEfficiency(0, 0.2), null);
    assert.equal(walkForwardEfficiency(null, 0.2), null);
    assert.equal(walkForwardEfficiency(0.3, null), null);
  });
});

describe('parameterStability', () => {
  it('counts distinct values, the mode and its share, and the coefficient of variation', () => {
    // fast: 10, 10, –, 20: mean 40/3, population std √(200/9) = √200 / 3, cv = √200 / 40.
    const s = parameterStability([{ fast: 10, slow: 50 }, { fast: 10, slow: 100 }, null, { fast: 20, slow: 50 }]);
    assert.deepEqual(s.fast!.values, [10, 10, null, 20]);
    assert.deepEqual([s.fast!.distinct, s.fast!.mode, s.fast!.mode_share], [2, 10, 2 / 3]);
    assert.equal(s.fast!.mean, 40 / 3);
    assert.ok(Math.abs(s.fast!.cv! - Math.sqrt(200) / 40) < 1e-12);
    assert.deepEqual([s.slow!.distinct, s.slow!.mode, s.slow!.mode_share], [2, 50, 2 / 3]);
  });

  it('takes the earliest window\'s value on a tie and has no mean for text values', () => {
    const s = parameterStability([{ direction: 'long' }, { direction: 'both' }]);
    assert.deepEqual([s.direction!.mode, s.direction!.mode_share, s.direction!.mean, s.direction!.cv], ['long', 0.5, null, null]);
  });
});

describe('summarizeWalkForward', () => {
  it('gives the overall efficiency as the stitched CAGR over the mean in-sample CAGR', () => {
    const inSample = (cagr: number) => ({ ...runOf(0, [100, 101], [], 0), metrics: { ...runOf(0, [100, 101], [], 0).metrics, cagr } });
    const windows: WindowRuns[] = [
      { k: 1, params: { fast: 10 }, in_sample: inSample(0.4), out_of_sample: runOf(0, [100, 110, 120], [], 0) },
      { k: 2, params: { fast: 20 }, in_sample: inSample(0.2), out_of_sample: runOf(3, [100, 90, 105], [], 0) },
    ];
    const summary = summarizeWalkForward(windows, 100);
    assert.equal(summary.efficiency, summary.stitched.metrics.cagr! / ((0.4 + 0.2) / 2));
    assert.equal(summary.windows[0]!.efficiency, windows[0]!.out_of_sample.metrics.cagr! / 0.4);
  });
});

describe('idleRun', () => {
  it('stays at the capital with no trades', () => {
    const run = idleRun([T0, T0 + DAY_MS, T0 + 2 * DAY_MS], 500);
    assert.deepEqual(run.equity.v, [500, 500, 500]);
    assert.deepEqual([run.metrics.total_return, run.metrics.total_trades, run.metrics.sharpe_ratio, run.metrics.exposure], [0, 0, null, 0]);
  });
});
