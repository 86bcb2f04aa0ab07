import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { canonicalJson, operationHash, sweepHasher } from '../../src/config/hash.js';
import { loadOptimizationFile, loadVariantFile } from '../../src/intake/load.js';
import { operationAt } from '../../src/config/operation-at.js';
import { optimizationSpec, variantTestSpec, type OptimizationSpec } from '../../src/config/sweep.js';
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

describe('sweepHasher', () => {
  const repoRoot = path.resolve(import.meta.dirname, '../..');
  const sweep = (text: string): OptimizationSpec => {
    const dir = fs.mkdtempSync(path.join(repoRoot, 'examples/.hash-test-'));
    try {
      const file = path.join(dir, 'optimization.yaml');
      fs.writeFileSync(file, text.replace('BASE', path.relative(dir, path.join(repoRoot, 'examples/operation.yaml'))));
      return optimizationSpec(loadOptimizationFile(file, { dataRoot: repoRoot }));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  };

  test('gives every combination the hash of its materialized operation, across numbers, floats and words', () => {
    const spec = sweep(`optimization_config:
  name: many axes
  base_operation: BASE
  parameter_space:
    - worker_category: analysis_workers
      worker_phase: signal_generation
      worker_plugin: sma_cross
      parameters:
        fast: { start: 2, end: 20, step: 3 }
        slow: { values: [30, 60] }
        direction: { values: [long, short, both] }
    - worker_category: analysis_workers
      worker_phase: exit_planning
      worker_plugin: atr_exit
      parameters:
        atr_multiplier: { start: 0.5, end: 2, step: 0.3 }
        risk_reward_ratio: { values: [1, 1.5, 3.25] }
    - worker_category: context_workers
      worker_phase: regime_context
      worker_plugin: trend_filter
      parameters:
        period: { values: [100, 200] }
  optimization_targets: { primary_metric: sharpe_ratio }
`);
    const hasher = sweepHasher(spec);
    assert.equal(hasher.derived, true, 'the grid takes the derived path');
    assert.ok(spec.grid.size > 1_000, `a grid of ${spec.grid.size} combinations`);
    const seen = new Set<string>();
    for (let idx = 0; idx < spec.grid.size; idx++) {
      const expected = operationHash(operationAt(spec, idx).op);
      assert.equal(hasher.hash(idx), expected, `combination ${idx}`);
      seen.add(expected);
    }
    assert.equal(seen.size, spec.grid.size, 'every combination has a hash of its own');
  });

  test('hashes the variants of a variant test as their materialized operations', () => {
    const loaded = loadVariantFile(path.join(repoRoot, 'examples/variant.yaml'), { dataRoot: repoRoot });
    const spec = variantTestSpec(loaded);
    const hasher = sweepHasher(spec);
    spec.variants.forEach((_, idx) => assert.equal(hasher.hash(idx), operationHash(operationAt(spec, idx).op)));
  });
});
