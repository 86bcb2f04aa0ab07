import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { validateWorkforce } from '../../src/config/blueprint.js';
import { ConfigError } from '../../src/config/errors.js';
import { WorkforceSchema } from '../../src/config/schemas.js';

const workforce = (analysis: Record<string, unknown>) => WorkforceSchema.parse({ analysis_workers: analysis });

describe('validateWorkforce', () => {
  test('fills plugin defaults and keeps entry order', () => {
    const input = workforce({
      signal_generation: [{ plugin: 'ema_cross', params: { fast: 3, slow: 9 } }],
      exit_planning: [{ plugin: 'fixed_percentage_exit', params: { stop_pct: 1 } }, { plugin: 'atr_exit' }],
    });
    const result = validateWorkforce(input, 'bp.yaml', 'workforce');
    assert.deepEqual(result.analysis_workers.signal_generation, [{ plugin: 'ema_cross', params: { fast: 3, slow: 9, direction: 'long' } }]);
    assert.deepEqual(result.analysis_workers.exit_planning, [
      { plugin: 'fixed_percentage_exit', params: { stop_pct: 1, target_pct: 4 } },
      { plugin: 'atr_exit', params: { atr_period: 14, atr_multiplier: 1.5, risk_reward_ratio: 2 } },
    ]);
  });

  test('does not modify its input', () => {
    const input = workforce({ signal_generation: [{ plugin: 'sma_cross' }] });
    validateWorkforce(input, 'bp.yaml', '');
    assert.deepEqual(input.analysis_workers.signal_generation, [{ plugin: 'sma_cross', params: {} }]);
  });

  test('an empty prefix names fields from the workforce root', () => {
    assert.throws(
      () => validateWorkforce(workforce({ signal_generation: [{ plugin: 'sma_cross', params: { fast: 'ten' } }] }), 'body', ''),
      (error: unknown) => error instanceof ConfigError && error.field === 'analysis_workers.signal_generation[0].params.fast' && /expected number, received string/.test(error.reason),
    );
  });

  test('a cross-parameter rule of a plugin names the plugin params', () => {
    assert.throws(
      () => validateWorkforce(workforce({ signal_generation: [{ plugin: 'sma_cross', params: { fast: 30, slow: 20 } }] }), 'bp.yaml', 'workforce'),
      (error: unknown) => error instanceof ConfigError && error.field === 'workforce.analysis_workers.signal_generation[0].params.fast',
    );
  });

  test('a context plugin in an analysis phase names where it belongs', () => {
    assert.throws(
      () => validateWorkforce(workforce({ signal_generation: [{ plugin: 'sma_cross' }], exit_planning: [{ plugin: 'trend_filter' }] }), 'bp.yaml', 'workforce'),
      (error: unknown) => error instanceof ConfigError && error.field === 'workforce.analysis_workers.exit_planning[0].plugin' && error.reason === '"trend_filter" cannot stand in exit_planning; it belongs in "regime_context"',
    );
  });
});
