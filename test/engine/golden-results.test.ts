import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { runMaterializedOperation } from '../../src/services/run-operation.js';
import { canonicalJson, operationHash } from '../../src/config/hash.js';
import { loadOperationFile, loadOptimizationFile, loadVariantFile, resolveOperation } from '../../src/intake/load.js';
import { materialize, type MaterializedOperation } from '../../src/config/materialize.js';
import { operationAt } from '../../src/config/operation-at.js';
import { optimizationSpec, variantTestSpec } from '../../src/config/sweep.js';
import { blockReturns } from '../../src/engine/block-returns.js';
import { userPluginsIn } from '../../src/engine/plugins/registry.js';
import type { Metrics } from '../../src/engine/result.js';
import { RESULTS_VERSION } from '../../src/engine/results-version.js';
import { DEFAULT_BLOCKS } from '../../src/store/blocks-codec.js';
import { loadWorkspacePlugins } from '../../src/user-plugins/index.js';

/*
 * The golden results: a fixed set of operations (the built-in strategies of examples/, a few
 * operations written here for the built-ins the examples leave out, and the example workspace
 * plugin loaded through the real bundle path) whose metrics, curves, trades and block returns are
 * pinned in test/fixtures/golden-results.json together with the results version they were computed
 * under (src/engine/results-version.ts). A change that moves any of them must bump the results
 * version, which changes every operation hash, so no store reuses a result the new code would not
 * compute. Regenerate after a bump (docs/store.md, "Code versions"):
 *   SWEEPLAB_UPDATE_GOLDEN=1 node scripts/test.mjs test/engine/golden-results
 */

const repoRoot = path.resolve(import.meta.dirname, '../..');
/** The example workspace: its data, blueprints and plugins folder. */
const examples = path.join(repoRoot, 'examples');
const fixtureFile = path.join(repoRoot, 'test/fixtures/golden-results.json');
const regenerate = 'SWEEPLAB_UPDATE_GOLDEN=1 node scripts/test.mjs test/engine/golden-results';

interface Golden {
  name: string;
  /** The operation hash, pinned for built-in operations only (a user plugin's depends on its bundling). */
  hash: string | null;
  metrics: Metrics;
  /** sha256 of the equity and drawdown curves, trades and block returns, as canonical JSON. */
  digest: string;
}

interface Fixture {
  results_version: number;
  operations: Golden[];
}

/** Inline operations for the built-ins the examples do not use, on the GOOG-like data. */
const extraOperations = [
  {
    display_name: 'Bollinger reversion, volatility filter, limit entry, trailing stop, all in, fill at close',
    strategy_links: [{ strategy_blueprint: { name: 'bollinger', workforce: {
      context_workers: { structural_context: [{ plugin: 'volatility_filter', params: {} }] },
      analysis_workers: {
        signal_generation: [{ plugin: 'bollinger_reversion', params: {} }],
        entry_planning: [{ plugin: 'limit_entry', params: {} }],
        exit_planning: [{ plugin: 'trailing_stop', params: {} }],
        size_planning: [{ plugin: 'all_in', params: {} }],
      },
    } }, execution_environment: 'goog' }],
    environments: { goog: { data_source: 'goog', initial_capital: 10_000, fees_pct: 0.1, slippage_pct: 0.05, fill: 'close', close_at_end: true } },
    data_sources: { goog: { type: 'csv_archive', path: 'data/GOOG_like_1d.csv', asset_pair: 'GOOG/USD', timeframe: '1d' } },
  },
  {
    display_name: 'Donchian breakout, volume filter, market entry, time exit',
    strategy_links: [{ strategy_blueprint: { name: 'donchian', workforce: {
      analysis_workers: {
        signal_generation: [{ plugin: 'donchian_breakout', params: {} }],
        signal_refinement: [{ plugin: 'volume_filter', params: {} }],
        entry_planning: [{ plugin: 'market_entry', params: {} }],
        exit_planning: [{ plugin: 'time_exit', params: {} }],
      },
    } }, execution_environment: 'goog' }],
    environments: { goog: { data_source: 'goog', initial_capital: 25_000, fees_pct: 0.2, slippage_pct: 0, fill: 'next_open', close_at_end: false } },
    data_sources: { goog: { type: 'csv_archive', path: 'data/GOOG_like_1d.csv', asset_pair: 'GOOG/USD', timeframe: '1d' } },
  },
];

/** Every golden operation, materialized with the plugins it runs with. */
function goldenOperations(): Array<{ name: string; op: MaterializedOperation; user: boolean }> {
  const plugins = loadWorkspacePlugins(examples);
  const opts = { dataRoot: examples, plugins };
  const file = (name: string) => path.join(examples, name);
  const ops: Array<{ name: string; op: MaterializedOperation }> = [];
  for (const name of ['operation.yaml', 'operation_hourly.yaml', 'operation_momentum.yaml']) {
    const base = loadOperationFile(file(name), opts);
    ops.push({ name, op: materialize(base, base.blueprint.workforce, base.display_name, plugins.set) });
  }
  const variants = variantTestSpec(loadVariantFile(file('variant.yaml'), opts));
  variants.variants.forEach((_, idx) => ops.push({ name: `variant.yaml #${idx}`, op: operationAt(variants, idx, plugins.set).op }));
  for (const name of ['optimization.yaml', 'optimization_momentum.yaml']) {
    const spec = optimizationSpec(loadOptimizationFile(file(name), opts));
    // The first valid combination from the start, the middle and the end of the grid.
    for (const from of [0, Math.floor(spec.grid.size / 2), spec.grid.size - 1]) {
      const idx = firstValid(from, (i) => operationHash(operationAt(spec, i, plugins.set).op, plugins.set));
      ops.push({ name: `${name} #${idx}`, op: operationAt(spec, idx, plugins.set).op });
    }
  }
  extraOperations.forEach((doc, i) => {
    const base = resolveOperation(doc, { file: `golden operation ${i}`, baseDir: examples, dataRoot: examples, plugins });
    ops.push({ name: doc.display_name, op: materialize(base, base.blueprint.workforce, base.display_name, plugins.set) });
  });
  return ops.map(({ name, op }) => ({ name, op, user: userPluginsIn(op.strategy_links[0]!.strategy_blueprint.workforce, plugins.set).length > 0 }));
}

/** The first index from `from` towards 0 whose combination is a valid operation (the grid may hold invalid ones, such as fast ≥ slow). */
function firstValid(from: number, at: (idx: number) => unknown): number {
  for (let idx = from; idx >= 0; idx--) {
    try {
      at(idx);
      return idx;
    } catch {
      // Not a valid operation: the one before.
    }
  }
  throw new Error(`no valid combination at or below ${from}`);
}

function computeGolden(): Fixture {
  const plugins = loadWorkspacePlugins(examples).set;
  const operations = goldenOperations().map(({ name, op, user }): Golden => {
    const result = runMaterializedOperation(op, { dataRoot: examples, file: name, plugins });
    const stored = { equity: result.equity, drawdown: result.drawdown, trades: result.trades, blocks: blockReturns(result.equity.v, DEFAULT_BLOCKS) };
    return { name, hash: user ? null : operationHash(op, plugins), metrics: result.metrics, digest: createHash('sha256').update(canonicalJson(stored)).digest('hex') };
  });
  return { results_version: RESULTS_VERSION, operations };
}

if (process.env.SWEEPLAB_UPDATE_GOLDEN) {
  test('regenerates the golden results fixture', () => {
    fs.writeFileSync(fixtureFile, `${JSON.stringify(computeGolden(), null, 2)}\n`);
  });
} else {
  const pinned = JSON.parse(fs.readFileSync(fixtureFile, 'utf8')) as Fixture;
  const now = computeGolden();

  test('the golden fixture was computed under the current results version', () => {
    assert.equal(pinned.results_version, RESULTS_VERSION, `test/fixtures/golden-results.json holds results version ${pinned.results_version}, the code is at ${RESULTS_VERSION}: regenerate it with ${regenerate}`);
    assert.deepEqual(
      now.operations.map((o) => o.name),
      pinned.operations.map((o) => o.name),
      `the golden set changed: regenerate the fixture with ${regenerate}`,
    );
  });

  test('no golden metric, curve, trade or block return moves while the results version stays', () => {
    const moved = now.operations.flatMap((o, i) => {
      const was = pinned.operations[i];
      if (!was || was.name !== o.name) return [];
      const metrics = Object.keys({ ...o.metrics, ...was.metrics })
        .filter((m) => !Object.is(o.metrics[m as keyof Metrics], was.metrics[m as keyof Metrics]))
        .map((m) => `${o.name}: ${m} ${was.metrics[m as keyof Metrics]} → ${o.metrics[m as keyof Metrics]}`);
      return metrics.length > 0 ? metrics : o.digest !== was.digest ? [`${o.name}: curves, trades or block returns changed`] : [];
    });
    assert.deepEqual(
      moved,
      [],
      `metrics changed without a results-version bump: bump RESULTS_VERSION in src/engine/results-version.ts and regenerate with ${regenerate}`,
    );
  });

  test('the hashes of the built-in golden operations stay while the results version stays', () => {
    const changed = now.operations.filter((o, i) => o.hash !== null && o.hash !== pinned.operations[i]?.hash).map((o) => o.name);
    assert.deepEqual(
      changed,
      [],
      `operation hashes changed under the same results version, so stores stop reusing their results: hashing must not change unless RESULTS_VERSION in src/engine/results-version.ts is bumped (then regenerate with ${regenerate})`,
    );
  });
}
