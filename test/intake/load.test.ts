import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../../src/config/errors.js';
import { loadOperationFile, loadOptimizationFile, loadVariantFile, resolveOperation, resolveOptimization, resolveVariantTest } from '../../src/intake/load.js';
import { parseYaml } from '../../src/intake/yaml.js';

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');
/** sha256sum test/fixtures/good/data/TINY_1d.csv */
const TINY_SHA = 'dc1e97040deb2623f835e6222673729e527bf91e5b18319e0cbf2a41451f5573';

/** A fresh data root holding a copy of test/fixtures, plus files just outside it. */
function dataRoot(): string {
  const tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'sweeplab-config-')));
  const root = path.join(tmp, 'root');
  fs.cpSync(FIXTURES, root, { recursive: true });
  fs.writeFileSync(path.join(tmp, 'outside.csv'), 'timestamp,open,high,low,close\n2020-01-01,1,1,1,1\n');
  fs.writeFileSync(path.join(tmp, 'outside.yaml'), 'name: outside\n');
  return root;
}

describe('loadOperationFile', () => {
  test('resolves the blueprint and data relative to the operation file', () => {
    const root = dataRoot();
    const op = loadOperationFile(path.join(root, 'good/operation.yaml'), { dataRoot: root });
    assert.equal(op.display_name, 'SMA cross on TINY');
    assert.equal(op.blueprint.name, 'sma_cross_atr');
    assert.equal(op.environment_id, 'tiny_daily');
    assert.equal(op.data_source_id, 'tiny_1d');
    assert.deepEqual(op.data_source, { type: 'csv_archive', path: 'good/data/TINY_1d.csv', asset_pair: 'TINY/USD', timeframe: '1d', sha256: TINY_SHA });
  });

  test('normalizes blueprint params with the plugin defaults', () => {
    const root = dataRoot();
    const op = loadOperationFile(path.join(root, 'good/operation.yaml'), { dataRoot: root });
    // The file gives fast and slow; sma_cross's schema adds direction: long. fixed_risk_sizer adds units: whole.
    assert.deepEqual(op.blueprint.workforce.analysis_workers.signal_generation, [{ plugin: 'sma_cross', params: { fast: 2, slow: 4, direction: 'long' } }]);
    assert.deepEqual(op.blueprint.workforce.analysis_workers.size_planning, [{ plugin: 'fixed_risk_sizer', params: { risk_per_trade_percent: 1, units: 'whole' } }]);
  });

  test('applies environment defaults', () => {
    const root = dataRoot();
    const op = loadOperationFile(path.join(root, 'good/operation-inline.yaml'), { dataRoot: root });
    assert.deepEqual(op.environment, { type: 'backtest', data_source: 'walk', initial_capital: 10_000, fees_pct: 0, slippage_pct: 0, fill: 'next_open', close_at_end: false });
  });

  test('runs the first active link, with an inline blueprint', () => {
    const root = dataRoot();
    const op = loadOperationFile(path.join(root, 'good/operation-inline.yaml'), { dataRoot: root });
    assert.equal(op.blueprint.name, 'ema_fixed', 'link 0 is inactive; link 1 is the first active one');
    assert.deepEqual(op.blueprint.workforce.analysis_workers.exit_planning, [{ plugin: 'fixed_percentage_exit', params: { stop_pct: 2, target_pct: 4 } }]);
  });

  test('a missing operation file is a ConfigError naming it', () => {
    const root = dataRoot();
    const file = path.join(root, 'good/nope.yaml');
    assert.throws(() => loadOperationFile(file, { dataRoot: root }), (error: unknown) => error instanceof ConfigError && error.file === file && /does not exist/.test(error.reason));
  });

  test('an operation file outside the data root is refused', () => {
    const root = dataRoot();
    const file = path.join(root, '..', 'outside.yaml');
    assert.throws(() => loadOperationFile(file, { dataRoot: root }), (error: unknown) => error instanceof ConfigError && error.file === file && /outside the data root/.test(error.reason));
  });
});

describe('a run at load time', () => {
  const tiny = { d: { type: 'csv_archive', path: 'good/data/TINY_1d.csv', timeframe: '1d' } };

  test('an operation whose blueprint cannot warm up on its data is refused, naming the plugin', () => {
    const root = dataRoot();
    const doc = {
      display_name: 'too short',
      strategy_links: [{ strategy_blueprint: { name: 'b', workforce: { context_workers: { regime_context: [{ plugin: 'trend_filter', params: { period: 200 } }] }, analysis_workers: { signal_generation: [{ plugin: 'sma_cross', params: { fast: 2, slow: 3 } }] } } }, execution_environment: 'e' }],
      environments: { e: { data_source: 'd' } },
      data_sources: tiny,
    };
    assert.throws(
      () => resolveOperation(doc, { file: 'short.yaml', baseDir: root, dataRoot: root }),
      (error: unknown) =>
        error instanceof ConfigError &&
        error.file === 'short.yaml' &&
        error.field === 'strategy_links[0].strategy_blueprint.workforce.context_workers.regime_context[0]' &&
        /"trend_filter" needs at least 200 bars .* the data has 10/.test(error.reason),
    );
  });

  test('two variants that make the same operation are refused', () => {
    const root = dataRoot();
    const doc = {
      variant_config: {
        name: 'v',
        base_operation: 'operation.yaml',
        // risk_reward_ratio 2 is what the base blueprint already has.
        variants: [{ name: 'Baseline', overrides: {} }, { name: 'Same RR', overrides: { analysis_workers: { exit_planning: [{ plugin: 'atr_exit', params: { risk_reward_ratio: 2 } }] } } }],
      },
    };
    assert.throws(
      () => resolveVariantTest(doc, { file: 'request body', baseDir: path.join(root, 'good'), dataRoot: root }),
      (error: unknown) => error instanceof ConfigError && error.field === 'variant_config.variants[1].overrides' && /"Same RR" the same operation as "Baseline"/.test(error.reason),
    );
  });

  test('a variant that cannot warm up is refused, naming the variant', () => {
    const root = dataRoot();
    const doc = {
      variant_config: {
        name: 'v',
        base_operation: 'operation.yaml',
        variants: [{ name: 'Baseline', overrides: {} }, { name: 'Slow trend', overrides: { context_workers: { regime_context: [{ plugin: 'trend_filter', params: { period: 50 } }] } } }],
      },
    };
    assert.throws(
      () => resolveVariantTest(doc, { file: 'request body', baseDir: path.join(root, 'good'), dataRoot: root }),
      (error: unknown) => error instanceof ConfigError && error.field.startsWith('variant_config.variants[1].overrides') && /needs at least 50 bars/.test(error.reason),
    );
  });
});

describe('resolveOperation (API bodies)', () => {
  test('resolves paths from baseDir', () => {
    const root = dataRoot();
    const doc = parseYaml(fs.readFileSync(path.join(root, 'good/operation.yaml')), 'request body');
    const op = resolveOperation(doc, { file: 'request body', baseDir: path.join(root, 'good'), dataRoot: root });
    assert.equal(op.data_source.type === 'csv_archive' && op.data_source.path, 'good/data/TINY_1d.csv');
  });

  test('a pinned csv path that is relative to the data root (a materialized operation) is found', () => {
    const root = dataRoot();
    const doc = {
      display_name: 'replay',
      strategy_links: [{ strategy_blueprint: { name: 'b', workforce: { analysis_workers: { signal_generation: [{ plugin: 'sma_cross', params: { fast: 2, slow: 3 } }] } } }, execution_environment: 'e' }],
      environments: { e: { data_source: 'd' } },
      data_sources: { d: { type: 'csv_archive', path: 'good/data/TINY_1d.csv', timeframe: '1d', sha256: TINY_SHA } },
    };
    const op = resolveOperation(doc, { file: 'replay.yaml', baseDir: path.join(root, 'bad'), dataRoot: root });
    assert.equal(op.data_source.type === 'csv_archive' && op.data_source.path, 'good/data/TINY_1d.csv');
  });

  test('an unpinned path is only looked up next to its file', () => {
    const root = dataRoot();
    const doc = {
      display_name: 'x',
      strategy_links: [{ strategy_blueprint: { name: 'b', workforce: { analysis_workers: { signal_generation: [{ plugin: 'sma_cross' }] } } }, execution_environment: 'e' }],
      environments: { e: { data_source: 'd' } },
      data_sources: { d: { type: 'csv_archive', path: 'good/data/TINY_1d.csv', timeframe: '1d' } },
    };
    assert.throws(
      () => resolveOperation(doc, { file: 'x.yaml', baseDir: path.join(root, 'bad'), dataRoot: root }),
      (error: unknown) => error instanceof ConfigError && error.field === 'data_sources.d.path' && /does not exist/.test(error.reason),
    );
  });
});

describe('loadOptimizationFile', () => {
  test('builds the grid and counts the combinations where allows', () => {
    const root = dataRoot();
    const loaded = loadOptimizationFile(path.join(root, 'good/optimization.yaml'), { dataRoot: root });
    // fast 5..30 by 5 (6) × slow [20, 50, 100] (3) × risk_reward_ratio 1..2 by 0.5 (3) = 54.
    assert.equal(loaded.grid.size, 54);
    // fast < slow: slow 20 admits fast 5, 10, 15 (3); slow 50 and 100 admit all 6 → 15 pairs × 3 ratios = 45.
    assert.equal(loaded.admissible, 45);
    assert.deepEqual(loaded.grid.axes.map((a) => [a.label, a.values]), [
      ['fast', [5, 10, 15, 20, 25, 30]],
      ['slow', [20, 50, 100]],
      ['risk_reward_ratio', [1, 1.5, 2]],
    ]);
    assert.equal(loaded.base.display_name, 'SMA cross on TINY');
    assert.equal(loaded.config.constraints.min_trades, 5);
  });

  test('an inline base operation resolves paths from the optimization file', () => {
    const root = dataRoot();
    const base = parseYaml(fs.readFileSync(path.join(root, 'good/operation.yaml')), 'op');
    const doc = {
      optimization_config: {
        name: 'inline',
        base_operation: base,
        parameter_space: [{ worker_category: 'analysis_workers', worker_phase: 'signal_generation', worker_plugin: 'sma_cross', parameters: { fast: { values: [1, 3] } } }],
      },
    };
    const loaded = resolveOptimization(doc, { file: 'request body', baseDir: path.join(root, 'good'), dataRoot: root });
    assert.equal(loaded.grid.size, 2);
    assert.equal(loaded.admissible, 2, 'without where every combination is admissible');
  });

  test('errors inside an inline base operation are named under base_operation', () => {
    const root = dataRoot();
    const doc = {
      optimization_config: {
        name: 'inline',
        base_operation: {
          display_name: 'x',
          strategy_links: [{ strategy_blueprint: 'blueprints/sma_atr.yaml', execution_environment: 'e' }],
          environments: { e: { data_source: 'd' } },
          data_sources: { d: { type: 'csv_archive', path: 'data/NOPE.csv', timeframe: '1d' } },
        },
        parameter_space: [{ worker_category: 'analysis_workers', worker_phase: 'signal_generation', worker_plugin: 'sma_cross', parameters: { fast: { values: [1] } } }],
      },
    };
    assert.throws(
      () => resolveOptimization(doc, { file: 'request body', baseDir: path.join(root, 'good'), dataRoot: root }),
      (error: unknown) => error instanceof ConfigError && error.file === 'request body' && error.field === 'optimization_config.base_operation.data_sources.d.path',
    );
  });

  test('max_combinations can be raised for a large grid', () => {
    const root = dataRoot();
    const doc = parseYaml(fs.readFileSync(path.join(root, 'bad/opt-grid-too-large.yaml')), 'opt') as { optimization_config: Record<string, unknown> };
    doc.optimization_config.parameter_space = [
      { worker_category: 'analysis_workers', worker_phase: 'signal_generation', worker_plugin: 'sma_cross', parameters: { fast: { start: 1, end: 4, step: 1 }, slow: { start: 2, end: 5, step: 1 } } },
    ];
    doc.optimization_config.parallel_config = { max_combinations: 16 };
    const loaded = resolveOptimization(doc, { file: 'opt', baseDir: path.join(root, 'bad'), dataRoot: root });
    // 4 × 4 = 16 ≤ 16; fast < slow: fast 1 → 4 slows, 2 → 3, 3 → 2, 4 → 1 = 10.
    assert.equal(loaded.grid.size, 16);
    assert.equal(loaded.admissible, 10);
  });
});

describe('loadVariantFile', () => {
  test('applies each variant to the base and validates it', () => {
    const root = dataRoot();
    const loaded = loadVariantFile(path.join(root, 'good/variant.yaml'), { dataRoot: root });
    assert.deepEqual(loaded.variants.map((v) => v.name), ['Baseline', 'Hoge RR', 'Andere Exit']);
    assert.deepEqual(loaded.variants[0].workforce, loaded.base.blueprint.workforce);
    assert.deepEqual(loaded.variants[1].workforce.analysis_workers.exit_planning, [{ plugin: 'atr_exit', params: { atr_period: 3, atr_multiplier: 1.5, risk_reward_ratio: 3 } }]);
    assert.deepEqual(loaded.variants[2].workforce.analysis_workers.exit_planning, [{ plugin: 'fixed_percentage_exit', params: { stop_pct: 2, target_pct: 4 } }]);
  });

  test('works on an API body with the base operation path relative to baseDir', () => {
    const root = dataRoot();
    const doc = parseYaml(fs.readFileSync(path.join(root, 'good/variant.yaml')), 'request body');
    const loaded = resolveVariantTest(doc, { file: 'request body', baseDir: path.join(root, 'good'), dataRoot: root });
    assert.equal(loaded.variants.length, 3);
  });
});

/**
 * Every file in test/fixtures/bad/ (blueprints/ holds parts they point at) with the field and reason
 * its error must name. The loader is picked by the name: op- operation, opt- optimization, var- variant.
 * `file` is the file the mistake is in when it is not the fixture itself (relative to the data root).
 */
const BAD: Record<string, { field: string | RegExp; reason: RegExp; file?: string }> = {
  'op-malformed.yaml': { field: 'line 3, column 1', reason: /deficient indentation/ },
  'op-unknown-plugin.yaml': {
    field: 'strategy_links[0].strategy_blueprint.workforce.analysis_workers.signal_generation[0].plugin',
    reason: /unknown plugin "sma_crss"; did you mean "sma_cross"\?/,
  },
  'op-unknown-param.yaml': {
    field: 'strategy_links[0].strategy_blueprint.workforce.analysis_workers.signal_generation[0].params.fsat',
    reason: /unknown parameter "fsat" of sma_cross; did you mean "fast"\?/,
  },
  'op-wrong-phase.yaml': {
    field: 'strategy_links[0].strategy_blueprint.workforce.analysis_workers.signal_generation[0].plugin',
    reason: /"atr_exit" cannot stand in signal_generation; it belongs in "exit_planning"/,
  },
  'op-sizer-without-stop.yaml': {
    field: 'strategy_links[0].strategy_blueprint.workforce.analysis_workers.size_planning[0]',
    reason: /no exit_planning plugin sets a stop/,
  },
  'op-wrong-type.yaml': { field: 'environments.d.fees_pct', reason: /expected number, received string/ },
  'op-param-out-of-bounds.yaml': {
    file: 'bad/blueprints/negative-atr.yaml',
    field: 'workforce.analysis_workers.exit_planning[0].params.atr_multiplier',
    reason: /too small/i,
  },
  'op-missing-data.yaml': { field: 'data_sources.gone.path', reason: /"\.\.\/good\/data\/NOPE_1d\.csv" does not exist/ },
  'op-outside-root.yaml': { field: 'data_sources.escape.path', reason: /"\.\.\/\.\.\/outside\.csv" lies outside the data root/ },
  'op-blueprint-outside-root.yaml': { field: 'strategy_links[0].strategy_blueprint', reason: /"\.\.\/\.\.\/outside\.yaml" lies outside the data root/ },
  'op-unknown-field.yaml': { field: 'environments.d', reason: /unknown field "fee_pct"/ },
  'op-sha-mismatch.yaml': { field: 'data_sources.pinned.sha256', reason: /does not match .* the file changed/ },
  'op-start-after-end.yaml': { field: 'environments.d.start', reason: /"2021-01-01" is after end "2020-01-01"/ },
  'op-alias-bomb.yaml': { field: /^line \d+, column \d+$/, reason: /expands to more than 1,000,000 nodes through aliases/ },
  'op-deep-nesting.yaml': { field: /^line 2, column \d+$/, reason: /nests deeper than 64 levels/ },
  'op-not-utf8.yaml': { field: 'line 2, column 18', reason: /not valid UTF-8/ },
  'opt-start-after-end.yaml': { field: 'optimization_config.parameter_space[0].parameters.fast.start', reason: /30 is greater than end 5/ },
  'opt-step-zero.yaml': { field: 'optimization_config.parameter_space[0].parameters.fast.step', reason: /must be greater than 0, got 0/ },
  'opt-empty-values.yaml': { field: 'optimization_config.parameter_space[0].parameters.slow.values', reason: /must list at least one value/ },
  'opt-contradictory-where.yaml': {
    field: 'optimization_config.constraints.where',
    reason: /no combination satisfies where "fast < slow and fast > slow" \(all 6 are excluded\)/,
  },
  'opt-grid-too-large.yaml': {
    field: 'optimization_config.parameter_space',
    // 1000 fast values × 2000 slow values.
    reason: /makes 2,000,000 combinations, more than parallel_config\.max_combinations \(1,000,000\); .*raise optimization_config\.parallel_config\.max_combinations/,
  },
  'opt-unknown-param.yaml': { field: 'optimization_config.parameter_space[0].parameters.fsat', reason: /"fsat" is not a parameter of sma_cross; did you mean "fast"\?/ },
  'opt-plugin-not-in-base.yaml': {
    field: 'optimization_config.parameter_space[0].worker_plugin',
    reason: /"sma_crss" does not stand in analysis_workers\.signal_generation of the base blueprint; did you mean "sma_cross"\?/,
  },
  'opt-value-out-of-bounds.yaml': { field: 'optimization_config.parameter_space[0].parameters.fast.values[1]', reason: /^0 is rejected by sma_cross\.fast: too small/i },
  'opt-cross-param.yaml': {
    field: 'optimization_config.parameter_space',
    // fast 5..20 meets slow 20 at fast = 20, the first such tuple in grid order.
    reason: /sma_cross rejects the combination fast=20, slow=20: .*exclude such combinations with constraints\.where/,
  },
  'opt-where-unknown-name.yaml': { field: 'optimization_config.constraints.where', reason: /column 8: unknown name "slwo"; did you mean "slow"\?/ },
  // 148 terms of 7 nodes each, joined by one `or`: 1,037 nodes, tested on 1,000 × 1,000 combinations.
  'opt-where-too-costly.yaml': {
    field: 'optimization_config.constraints.where',
    reason: /^"fast \* 1 \+ 0 < slow or .*…" has 1,037 terms; tested on each of the 1,000,000 combinations that is 1,037,000,000 evaluations, more than the 100,000,000 allowed: simplify the expression or narrow the grid$/,
  },
  'opt-missing-base.yaml': { field: 'optimization_config.base_operation', reason: /"\.\.\/good\/no-such-operation\.yaml" does not exist/ },
  'var-unknown-plugin.yaml': {
    field: 'variant_config.variants[1].overrides.analysis_workers.exit_planning[0].plugin',
    reason: /unknown plugin "fixed_percent_exit"; did you mean "fixed_percentage_exit"\?/,
  },
  'var-out-of-bounds.yaml': { field: 'variant_config.variants[0].overrides.analysis_workers.exit_planning[0].params.risk_reward_ratio', reason: /too small/i },
  'var-unknown-category.yaml': { field: 'variant_config.variants[0].overrides.analysis_worker', reason: /unknown worker category "analysis_worker"/ },
  'var-duplicate-name.yaml': { field: 'variant_config.variants[1].name', reason: /"Baseline" is used by an earlier variant/ },
};

describe('bad inputs in test/fixtures/bad', () => {
  test('every fixture has an expectation and every expectation a fixture', () => {
    const files = fs.readdirSync(path.join(FIXTURES, 'bad')).filter((f) => f.endsWith('.yaml'));
    assert.deepEqual(files.sort(), Object.keys(BAD).sort());
  });

  for (const [name, expected] of Object.entries(BAD)) {
    test(`${name} is refused naming the file, the field and the reason`, () => {
      const root = dataRoot();
      const file = path.join(root, 'bad', name);
      const load = name.startsWith('opt-') ? loadOptimizationFile : name.startsWith('var-') ? loadVariantFile : loadOperationFile;
      assert.throws(
        () => load(file, { dataRoot: root }),
        (error: unknown) => {
          assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
          assert.equal(error.file, expected.file ?? file);
          if (typeof expected.field === 'string') assert.equal(error.field, expected.field);
          else assert.match(error.field, expected.field);
          assert.match(error.reason, expected.reason);
          assert.ok(error.message.startsWith(`${error.file}: ${error.field}`), 'the message leads with file and field');
          return true;
        },
      );
    });
  }
});
