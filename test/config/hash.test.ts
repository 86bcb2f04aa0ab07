import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { canonicalJson, operationHash } from '../../src/config/hash.js';
import { materialize, type MaterializedOperation } from '../../src/config/materialize.js';
import type { ResolvedOperation } from '../../src/config/resolved.js';
import type { Workforce } from '../../src/config/schemas.js';

const SHA = 'dc1e97040deb2623f835e6222673729e527bf91e5b18319e0cbf2a41451f5573';

function base(): ResolvedOperation {
  return {
    display_name: 'SMA on TINY',
    blueprint: {
      name: 'sma',
      workforce: {
        context_workers: { regime_context: [], structural_context: [] },
        analysis_workers: {
          signal_generation: [{ plugin: 'sma_cross', params: { fast: 10, slow: 20, direction: 'long' } }],
          signal_refinement: [],
          entry_planning: [],
          exit_planning: [{ plugin: 'fixed_percentage_exit', params: { stop_pct: 2, target_pct: 4 } }],
          size_planning: [],
        },
      },
    },
    environment_id: 'daily',
    environment: { type: 'backtest', data_source: 'tiny', initial_capital: 10_000, fees_pct: 0.2, slippage_pct: 0, fill: 'next_open', close_at_end: false },
    data_source_id: 'tiny',
    data_source: { type: 'csv_archive', path: 'data/TINY_1d.csv', asset_pair: 'TINY/USD', timeframe: '1d', sha256: SHA },
  };
}
const op = (b = base(), workforce: Workforce = b.blueprint.workforce, name = 'run') => materialize(b, workforce, name);

describe('canonicalJson', () => {
  test('sorts keys at every level and keeps array order', () => {
    assert.equal(canonicalJson({ b: 1, a: [{ d: true, c: null }, 'x'] }), '{"a":[{"c":null,"d":true},"x"],"b":1}');
  });

  test('prints equal numbers alike and leaves undefined members out', () => {
    assert.equal(canonicalJson({ x: 1.0, y: -0, z: undefined }), '{"x":1,"y":0}');
  });

  test('refuses values JSON cannot represent', () => {
    assert.throws(() => canonicalJson({ x: Number.NaN }), /no JSON form/);
    assert.throws(() => canonicalJson({ x: new Date(0) }), /cannot represent/);
  });
});

describe('operationHash', () => {
  test('is 64 hex digits and the same for the same operation', () => {
    assert.match(operationHash(op()), /^[0-9a-f]{64}$/);
    assert.equal(operationHash(op()), operationHash(op()));
  });

  test('key order does not matter', () => {
    const a = op();
    const reordered = JSON.parse(JSON.stringify(a), (_key, value) =>
      value && typeof value === 'object' && !Array.isArray(value) ? Object.fromEntries(Object.entries(value).reverse()) : value,
    ) as MaterializedOperation;
    assert.notEqual(JSON.stringify(reordered), JSON.stringify(a), 'the copy really is reordered');
    assert.equal(operationHash(reordered), operationHash(a));
  });

  test('defaults omitted and defaults written out hash the same', () => {
    const omitted = base();
    // direction: long is sma_cross's default; close_at_end/fill/etc. are the environment's.
    omitted.blueprint.workforce.analysis_workers.signal_generation[0].params = { fast: 10, slow: 20 };
    const explicit = op();
    const implicit = op(omitted) as unknown as { environments: Record<string, Record<string, unknown>> };
    const env = implicit.environments.daily;
    for (const key of ['type', 'slippage_pct', 'fill', 'close_at_end']) delete env[key];
    assert.equal(operationHash(implicit as unknown as MaterializedOperation), operationHash(explicit));
  });

  test('a param change changes it', () => {
    const changed = base();
    changed.blueprint.workforce.analysis_workers.signal_generation[0].params.fast = 11;
    assert.notEqual(operationHash(op(changed)), operationHash(op()));
  });

  test('an environment change changes it', () => {
    const changed = base();
    changed.environment.fees_pct = 0.1;
    assert.notEqual(operationHash(op(changed)), operationHash(op()));
  });

  test('different data content changes it', () => {
    const changed = base();
    changed.data_source = { ...changed.data_source, sha256: 'f'.repeat(64) } as ResolvedOperation['data_source'];
    assert.notEqual(operationHash(op(changed)), operationHash(op()));
  });

  test('display_name, blueprint name and description, ids and the csv path do not change it', () => {
    const relabelled = base();
    relabelled.blueprint.name = 'other';
    relabelled.blueprint.description = 'words';
    relabelled.environment_id = 'env2';
    relabelled.data_source_id = 'src2';
    relabelled.environment.data_source = 'src2';
    relabelled.data_source = { ...relabelled.data_source, path: 'copies/same_bars.csv' } as ResolvedOperation['data_source'];
    assert.equal(operationHash(op(relabelled, relabelled.blueprint.workforce, 'another name')), operationHash(op()));
  });
});
