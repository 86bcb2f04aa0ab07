import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WorkforceSchema } from '../../src/config/schemas.js';
import { ConfigError } from '../../src/config/errors.js';
import { runBacktest, workforceProblems } from '../../src/engine/index.js';
import { flatBars, randomBars } from './bars-fixture.js';
import { withFutureChanged } from '../../src/user-plugins/contract.js';
import { run, SETTINGS, workforce, type WorkforceSketch } from './run-helpers.js';

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${error}`);
    return error;
  }
  assert.fail('expected a ConfigError');
}

describe('runBacktest validation', () => {
  const bars = randomBars(100, 1);

  it('rejects an unknown plugin with a did-you-mean', () => {
    const error = configError(() => run(bars, { signal_generation: [{ plugin: 'sma_crss' }] }));
    assert.deepEqual([error.file, error.field, error.reason], [null, 'workforce.analysis_workers.signal_generation[0].plugin', 'unknown plugin "sma_crss"; did you mean "sma_cross"?']);
  });

  it('rejects a plugin in a phase it does not belong to', () => {
    const error = configError(() => run(bars, { exit_planning: [{ plugin: 'sma_cross' }] }));
    assert.equal(error.field, 'workforce.analysis_workers.exit_planning[0].plugin');
    assert.equal(error.reason, '"sma_cross" belongs in signal_generation, not in exit_planning');
  });

  it('rejects params out of bounds, naming the param', () => {
    const error = configError(() => run(bars, { exit_planning: [{ plugin: 'atr_exit', params: { atr_period: 0 } }] }));
    assert.equal(error.field, 'workforce.analysis_workers.exit_planning[0].params.atr_period');
  });

  it('rejects a fast period that is not below the slow one', () => {
    const error = configError(() => run(bars, { signal_generation: [{ plugin: 'ema_cross', params: { fast: 30, slow: 20 } }] }));
    assert.deepEqual([error.field, error.reason], ['workforce.analysis_workers.signal_generation[0].params.fast', '30 must be less than slow 20']);
  });

  it('rejects fixed_risk_sizer without an exit plugin that sets a stop', () => {
    const error = configError(() => run(bars, { size_planning: [{ plugin: 'fixed_risk_sizer' }], exit_planning: [{ plugin: 'time_exit' }] }));
    assert.equal(error.field, 'workforce.analysis_workers.size_planning[0]');
    assert.match(error.reason, /no exit_planning plugin sets a stop/);
  });

  it('says how many bars the longest warm-up needs', () => {
    const error = configError(() => run(randomBars(150, 1), { regime_context: [{ plugin: 'trend_filter', params: { period: 200 } }] }));
    assert.deepEqual([error.field, error.reason], ['workforce.context_workers.regime_context[0]', '"trend_filter" needs at least 200 bars (its first output is at bar 199), the data has 150']);
  });
});

describe('workforceProblems', () => {
  it('reports fixed_risk_sizer without a stop, relative to the workforce', () => {
    const problems = workforceProblems(workforce({ size_planning: [{ plugin: 'fixed_risk_sizer' }] }));
    assert.deepEqual(problems.map((p) => p.field), ['analysis_workers.size_planning[0]']);
  });

  it('accepts fixed_risk_sizer with a trailing stop', () => {
    assert.deepEqual(workforceProblems(workforce({ size_planning: [{ plugin: 'fixed_risk_sizer' }], exit_planning: [{ plugin: 'trailing_stop' }] })), []);
  });

  it('reports a second entry plugin', () => {
    const problems = workforceProblems(workforce({ entry_planning: [{ plugin: 'market_entry' }, { plugin: 'limit_entry' }] }));
    assert.deepEqual(problems.map((p) => p.field), ['analysis_workers.entry_planning[1]']);
  });
});

/** Workforces that together use every kind of worker, for the whole-run properties. */
const SKETCHES: Record<string, WorkforceSketch> = {
  'sma + atr + fixed risk': {
    signal_generation: [{ plugin: 'sma_cross', params: { fast: 5, slow: 20 } }],
    exit_planning: [{ plugin: 'atr_exit' }],
    size_planning: [{ plugin: 'fixed_risk_sizer' }],
  },
  'both ways with filters, limit and trailing': {
    regime_context: [{ plugin: 'trend_filter', params: { period: 50 } }],
    structural_context: [{ plugin: 'volatility_filter' }],
    signal_generation: [{ plugin: 'ema_cross', params: { fast: 3, slow: 8, direction: 'both' } }, { plugin: 'rsi_reversion', params: { period: 5 } }],
    signal_refinement: [{ plugin: 'volume_filter', params: { min_ratio: 0.5 } }, { plugin: 'cooldown', params: { bars: 2 } }],
    entry_planning: [{ plugin: 'limit_entry', params: { offset_pct: 0.2 } }],
    exit_planning: [{ plugin: 'trailing_stop' }, { plugin: 'time_exit', params: { max_bars: 15 } }, { plugin: 'fixed_percentage_exit' }],
    size_planning: [{ plugin: 'fixed_fraction', params: { fraction_pct: 50, units: 'fractional' } }],
  },
  'donchian and bollinger short': {
    signal_generation: [{ plugin: 'donchian_breakout', params: { period: 10, direction: 'short' } }, { plugin: 'bollinger_reversion', params: { period: 10 } }],
  },
};

describe('runBacktest properties', () => {
  for (const [name, sketch] of Object.entries(SKETCHES)) {
    for (const fill of ['next_open', 'close'] as const) {
      it(`never lets bars after t change trades or equity before t (${name}, ${fill})`, () => {
        for (const seed of [1, 2, 3]) {
          const bars = randomBars(400, seed);
          const settings = { fill, fees_pct: 0.1, slippage_pct: 0.05 };
          const base = run(bars, sketch, settings);
          assert.ok(base.trades.length > 5, 'the property needs trades to mean something');
          for (let cut = 60; cut < 400; cut += 3) {
            const changed = run(withFutureChanged(bars, cut, seed + cut), sketch, settings);
            assert.deepEqual(changed.equity.v.slice(0, cut), base.equity.v.slice(0, cut), `equity before bar ${cut}`);
            const before = (trades: typeof base.trades) => trades.filter((t) => t.exit_bar < cut);
            assert.deepEqual(before(changed.trades), before(base.trades), `trades closed before bar ${cut}`);
          }
        }
      });
    }
  }

  it('is deterministic: the same input gives identical JSON, with or without cached series', () => {
    const sketch = SKETCHES['both ways with filters, limit and trailing'];
    const first = JSON.stringify(run(randomBars(500, 9), sketch));
    const again = JSON.stringify(run(randomBars(500, 9), sketch));
    const bars = randomBars(500, 9);
    run(bars, sketch);
    const cached = JSON.stringify(run(bars, sketch));
    assert.equal(again, first);
    assert.equal(cached, first);
  });

  it('returns curves over every bar and the data range', () => {
    const bars = flatBars([10, 10, 11, 12]);
    const result = runBacktest(bars, WorkforceSchema.parse({ analysis_workers: { signal_generation: [{ plugin: 'sma_cross', params: { fast: 1, slow: 2 } }] } }), SETTINGS);
    assert.equal(result.bars, 4);
    assert.deepEqual([result.start, result.end], ['2020-01-01T00:00:00.000Z', '2020-01-04T00:00:00.000Z']);
    assert.deepEqual(result.drawdown.t, result.equity.t);
    assert.equal(result.equity.v.length, 4);
  });
});
