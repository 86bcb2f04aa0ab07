import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { materialize, MaterializedOperationSchema, resolvedFromMaterialized } from '../../src/config/materialize.js';
import type { ResolvedOperation } from '../../src/config/resolved.js';
import { OperationSchema } from '../../src/config/schemas.js';
import { dumpYaml, parseYaml } from '../../src/intake/yaml.js';

function base(): ResolvedOperation {
  return {
    display_name: 'SMA',
    blueprint: {
      name: 'sma',
      workforce: {
        context_workers: { regime_context: [], structural_context: [] },
        analysis_workers: {
          signal_generation: [{ plugin: 'sma_cross', params: { fast: 10, slow: 20, direction: 'long' } }],
          signal_refinement: [],
          entry_planning: [],
          exit_planning: [],
          size_planning: [],
        },
      },
    },
    environment_id: 'daily',
    environment: { type: 'backtest', data_source: 'walk', start: '2015-01-01', initial_capital: 10_000, fees_pct: 0, slippage_pct: 0, fill: 'next_open', close_at_end: false },
    data_source_id: 'walk',
    data_source: { type: 'synthetic', seed: 1, bars: 300, start: '2015-01-01', asset_pair: 'SYNTH/USD', timeframe: '1d', start_price: 100 },
  };
}

describe('materialize', () => {
  test('inlines the given workforce into one active link with only its environment and data source', () => {
    const b = base();
    const workforce = structuredClone(b.blueprint.workforce);
    workforce.analysis_workers.signal_generation[0].params.fast = 5;
    const op = materialize(b, workforce, 'SMA #3 fast=5');
    assert.deepEqual(op, {
      display_name: 'SMA #3 fast=5',
      strategy_links: [{ strategy_blueprint: { name: 'sma', workforce }, execution_environment: 'daily', is_active: true }],
      environments: { daily: b.environment },
      data_sources: { walk: b.data_source },
    });
  });

  test('is a valid operation.yaml and a valid materialized operation', () => {
    const op = materialize(base(), base().blueprint.workforce, 'x');
    assert.equal(OperationSchema.safeParse(op).success, true);
    assert.equal(MaterializedOperationSchema.safeParse(op).success, true);
  });

  test('survives a YAML round trip unchanged', () => {
    const op = materialize(base(), base().blueprint.workforce, 'x');
    assert.deepEqual(parseYaml(dumpYaml(op), 'op.yaml'), op);
  });

  test('resolvedFromMaterialized gives back the resolved operation', () => {
    const b = base();
    assert.deepEqual(resolvedFromMaterialized(materialize(b, b.blueprint.workforce, b.display_name)), b);
  });

  test('a csv source without sha256 is not a materialized operation', () => {
    const b = base();
    b.data_source = { type: 'csv_archive', path: 'data/x.csv', asset_pair: 'X', timeframe: '1d' };
    const parsed = MaterializedOperationSchema.safeParse(materialize(b, b.blueprint.workforce, 'x'));
    assert.equal(parsed.success, false);
    assert.deepEqual(parsed.error?.issues[0]?.path, ['data_sources', 'walk', 'sha256']);
  });

  test('a second environment is refused', () => {
    const op = materialize(base(), base().blueprint.workforce, 'x');
    const extra = { ...op, environments: { ...op.environments, other: op.environments.daily } };
    assert.equal(MaterializedOperationSchema.safeParse(extra).success, false);
  });
});
