import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigError } from '../../src/config/errors.js';
import { buildGrid, comboAt } from '../../src/config/grid.js';
import { applyCombo, applyOverrides } from '../../src/config/overrides.js';
import { WorkforceSchema, type Workforce } from '../../src/config/schemas.js';

/** The example SMA cross / ATR exit blueprint (examples/blueprints/). */
function seedWorkforce(): Workforce {
  return WorkforceSchema.parse({
    context_workers: { regime_context: [{ plugin: 'trend_filter', params: { period: 200 } }] },
    analysis_workers: {
      signal_generation: [{ plugin: 'sma_cross', params: { fast: 10, slow: 20 } }],
      exit_planning: [{ plugin: 'atr_exit', params: { atr_period: 14, atr_multiplier: 1.5, risk_reward_ratio: 2 } }],
      size_planning: [{ plugin: 'fixed_risk_sizer', params: { risk_per_trade_percent: 1 } }],
    },
  });
}
const apply = (overrides: Record<string, unknown>, base = seedWorkforce()) => applyOverrides(base, overrides, 'variant.yaml', 'variant_config.variants[1].overrides');

describe('applyOverrides', () => {
  test('{} is the baseline', () => {
    assert.deepEqual(apply({}), seedWorkforce());
  });

  test('Hoge RR changes one param and keeps the others of atr_exit', () => {
    const result = apply({ analysis_workers: { exit_planning: [{ plugin: 'atr_exit', params: { risk_reward_ratio: 3 } }] } });
    assert.deepEqual(result.analysis_workers.exit_planning, [{ plugin: 'atr_exit', params: { atr_period: 14, atr_multiplier: 1.5, risk_reward_ratio: 3 } }]);
    const expected = seedWorkforce();
    expected.analysis_workers.exit_planning[0].params.risk_reward_ratio = 3;
    assert.deepEqual(result, expected, 'nothing outside exit_planning changes');
  });

  test('Andere Exit swaps atr_exit for fixed_percentage_exit', () => {
    const result = apply({ analysis_workers: { exit_planning: [{ plugin: 'fixed_percentage_exit', params: { stop_pct: 2, target_pct: 4 } }] } });
    assert.deepEqual(result.analysis_workers.exit_planning, [{ plugin: 'fixed_percentage_exit', params: { stop_pct: 2, target_pct: 4 } }]);
    assert.deepEqual(result.analysis_workers.signal_generation, seedWorkforce().analysis_workers.signal_generation);
  });

  test('merging keeps the phase entries the override does not name', () => {
    const base = seedWorkforce();
    base.analysis_workers.exit_planning.push({ plugin: 'time_exit', params: { max_bars: 20 } });
    const result = apply({ analysis_workers: { exit_planning: [{ plugin: 'time_exit', params: { max_bars: 5 } }] } }, base);
    assert.deepEqual(result.analysis_workers.exit_planning, [
      { plugin: 'atr_exit', params: { atr_period: 14, atr_multiplier: 1.5, risk_reward_ratio: 2 } },
      { plugin: 'time_exit', params: { max_bars: 5 } },
    ]);
  });

  test('a list naming a new plugin replaces the phase, and a kept plugin inherits its params', () => {
    const base = seedWorkforce();
    base.analysis_workers.exit_planning.push({ plugin: 'time_exit', params: { max_bars: 20 } });
    const result = apply(
      { analysis_workers: { exit_planning: [{ plugin: 'atr_exit', params: { risk_reward_ratio: 3 } }, { plugin: 'trailing_stop', params: { trail_pct: 3 } }] } },
      base,
    );
    assert.deepEqual(result.analysis_workers.exit_planning, [
      { plugin: 'atr_exit', params: { atr_period: 14, atr_multiplier: 1.5, risk_reward_ratio: 3 } },
      { plugin: 'trailing_stop', params: { trail_pct: 3 } },
    ], 'time_exit is gone: the list replaced the phase');
  });

  test('an empty list clears the phase', () => {
    assert.deepEqual(apply({ context_workers: { regime_context: [] } }).context_workers.regime_context, []);
  });

  test('nested param maps merge deeply', () => {
    const base = seedWorkforce();
    base.analysis_workers.signal_generation[0].params.extra = { a: 1, b: { c: 2, d: 3 } };
    const result = apply({ analysis_workers: { signal_generation: [{ plugin: 'sma_cross', params: { extra: { b: { d: 4 } } } }] } }, base);
    assert.deepEqual(result.analysis_workers.signal_generation[0].params, { fast: 10, slow: 20, extra: { a: 1, b: { c: 2, d: 4 } } });
  });

  test('the k-th listing of a plugin merges into its k-th base entry', () => {
    const base = seedWorkforce();
    base.analysis_workers.signal_generation = [
      { plugin: 'sma_cross', params: { fast: 5, slow: 20 } },
      { plugin: 'sma_cross', params: { fast: 50, slow: 200 } },
    ];
    const result = apply(
      { analysis_workers: { signal_generation: [{ plugin: 'sma_cross', params: {} }, { plugin: 'sma_cross', params: { slow: 100 } }] } },
      base,
    );
    assert.deepEqual(result.analysis_workers.signal_generation, [
      { plugin: 'sma_cross', params: { fast: 5, slow: 20 } },
      { plugin: 'sma_cross', params: { fast: 50, slow: 100 } },
    ]);
  });

  test('the base workforce is not mutated', () => {
    const base = seedWorkforce();
    apply({ analysis_workers: { exit_planning: [{ plugin: 'atr_exit', params: { risk_reward_ratio: 3 } }] } }, base);
    assert.deepEqual(base, seedWorkforce());
  });

  test('an unknown worker category names the field and the choices', () => {
    assert.throws(
      () => apply({ analysis_worker: {} }),
      (error: unknown) =>
        error instanceof ConfigError &&
        error.file === 'variant.yaml' &&
        error.field === 'variant_config.variants[1].overrides.analysis_worker' &&
        error.reason === 'unknown worker category "analysis_worker"; expected one of "context_workers", "analysis_workers"',
    );
  });

  test('a phase of another category is refused', () => {
    assert.throws(
      () => apply({ context_workers: { exit_planning: [] } }),
      (error: unknown) =>
        error instanceof ConfigError &&
        error.field === 'variant_config.variants[1].overrides.context_workers.exit_planning' &&
        /"exit_planning" is not a phase of context_workers/.test(error.reason),
    );
  });

  test('an entry without a plugin names the list index', () => {
    assert.throws(
      () => apply({ analysis_workers: { exit_planning: [{ params: { stop_pct: 1 } }] } }),
      (error: unknown) => error instanceof ConfigError && error.field === 'variant_config.variants[1].overrides.analysis_workers.exit_planning[0].plugin',
    );
  });
});

describe('applyCombo', () => {
  test('writes each axis value into its plugin params', () => {
    const grid = buildGrid([
      { worker_category: 'analysis_workers', worker_phase: 'signal_generation', worker_plugin: 'sma_cross', parameters: { fast: { values: [5, 15] } } },
      { worker_category: 'context_workers', worker_phase: 'regime_context', worker_plugin: 'trend_filter', parameters: { period: { values: [100, 150] } } },
    ]);
    // index 3 = (1, 1): fast 15, period 150.
    const result = applyCombo(seedWorkforce(), grid, comboAt(grid, 3));
    assert.deepEqual(result.analysis_workers.signal_generation[0].params, { fast: 15, slow: 20 });
    assert.deepEqual(result.context_workers.regime_context[0].params, { period: 150 });
  });

  test('a plugin missing from the workforce is a bug, not a ConfigError', () => {
    const grid = buildGrid([{ worker_category: 'analysis_workers', worker_phase: 'signal_generation', worker_plugin: 'ema_cross', parameters: { fast: { values: [5] } } }]);
    assert.throws(() => applyCombo(seedWorkforce(), grid, { fast: 5 }), (error: unknown) => error instanceof Error && !(error instanceof ConfigError));
  });
});

describe('override keys that only an object prototype has', () => {
  for (const key of ['toString', 'constructor', 'hasOwnProperty']) {
    test(`"${key}" is an unknown worker category, named as the field`, () => {
      assert.throws(
        () => apply({ [key]: { prototype: {} } }),
        (e: unknown) => e instanceof ConfigError && e.field === `variant_config.variants[1].overrides.${key}` && /^unknown worker category/.test(e.reason),
      );
    });
  }

  test('"__proto__" as an own key (as JSON.parse and js-yaml make it) never reaches the prototype', () => {
    const overrides = JSON.parse('{"analysis_workers": {"exit_planning": [{"plugin": "atr_exit", "params": {"__proto__": {"polluted": 1}}}]}}');
    const result = apply(overrides);
    const params = result.analysis_workers.exit_planning[0].params;
    assert.equal(Object.getPrototypeOf(params), Object.prototype);
    assert.equal(params.polluted, undefined);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });
});
