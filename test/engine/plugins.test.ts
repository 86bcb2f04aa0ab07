import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BUILTIN_PLUGINS } from '../../src/engine/plugins/registry.js';
import { testPluginContract } from './plugin-contract.js';

/** One out-of-bounds params object per plugin; the contract checks that each is rejected. */
const OUT_OF_BOUNDS: Record<string, Record<string, unknown>> = {
  trend_filter: { period: 1 },
  volatility_filter: { min_atr_pct: 5, max_atr_pct: 2 },
  sma_cross: { fast: 20, slow: 20 },
  ema_cross: { fast: 0 },
  rsi_reversion: { lower: 80, upper: 70 },
  donchian_breakout: { period: 0 },
  bollinger_reversion: { std_dev: 0 },
  volume_filter: { min_ratio: -1 },
  cooldown: { bars: 0 },
  market_entry: { offset_pct: 1 },
  limit_entry: { valid_bars: 0 },
  atr_exit: { atr_multiplier: 0 },
  fixed_percentage_exit: { stop_pct: 100 },
  trailing_stop: { trail_pct: 0 },
  time_exit: { max_bars: 0.5 },
  all_in: { units: 'lots' },
  fixed_fraction: { fraction_pct: 101 },
  fixed_risk_sizer: { risk_per_trade_percent: 0 },
};

describe('plugin registry', () => {
  it('lists exactly the plugins that have a contract case here', () => {
    assert.deepEqual([...BUILTIN_PLUGINS.byName.keys()].sort(), Object.keys(OUT_OF_BOUNDS).sort());
  });
});

for (const plugin of BUILTIN_PLUGINS.byName.values()) testPluginContract(plugin, OUT_OF_BOUNDS[plugin.name]);
