import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadSweepFile } from '../../src/cli/sweep-commands.js';
import type { SweepSpec } from '../../src/config/sweep.js';
import { currentDetails, packSummary, rateAndEta, sweepPageUrl, sweepStaticMetadata, type SweepMoment } from '../../src/workflows/details.js';

/*
 * The Markdown the Temporal UI shows of a sweep (src/workflows/details.ts), on the repository's
 * example sweeps, loaded as the CLI loads them: by an absolute path, with the repository as data root.
 */

const root = path.resolve(import.meta.dirname, '../..');
let optimization: SweepSpec;
let variants: SweepSpec;
const savedRoot = process.env.SWEEPLAB_DATA_ROOT;

before(() => {
  process.env.SWEEPLAB_DATA_ROOT = root;
  optimization = loadSweepFile('optimization', path.join(root, 'examples/optimization.yaml')).spec;
  variants = loadSweepFile('variant_test', path.join(root, 'examples/variant.yaml')).spec;
});

after(() => {
  if (savedRoot === undefined) delete process.env.SWEEPLAB_DATA_ROOT;
  else process.env.SWEEPLAB_DATA_ROOT = savedRoot;
});

const moment: SweepMoment = {
  headline: { kind: 'optimization', name: 'sma grid', operations: 480, primary_metric: 'sharpe_ratio' },
  phase: 'running',
  total: 480,
  done: 100,
  failed: 2,
  running: 8,
  started_at: 1_000,
  now: 21_000,
  generation: 1,
  paused: false,
  best: { idx: 7, hash: 'h', params: { fast: 5, slow: 20 }, value: 1.23456, total_trades: 12 },
};

describe('static summary and details', () => {
  test('a sweep loaded from an absolute path names its file relative to the data root', () => {
    assert.equal(optimization.file, 'examples/optimization.yaml');
    assert.equal(variants.file, 'examples/variant.yaml');
  });

  test('the summary is one line: kind, name, operations, primary metric', () => {
    assert.equal(sweepStaticMetadata(optimization, 'u').staticSummary, 'optimization · sma grid · 480 operations · sharpe_ratio');
    assert.equal(sweepStaticMetadata(variants, 'u').staticSummary, 'variant test · exit study · 3 operations · sharpe_ratio');
  });

  test("an optimization's details list the parameter space, where, min_trades and the page link", () => {
    const url = sweepPageUrl('http://127.0.0.1:8787/', 'opt 1');
    assert.equal(url, 'http://127.0.0.1:8787/#/sweeps/opt%201');
    const details = sweepStaticMetadata(optimization, url).staticDetails;
    assert.equal(
      details,
      [
        '`examples/optimization.yaml`: SMA cross on SYNTH daily (blueprint `sma_cross_atr`, environment `synth_daily`, data `synth_1d`)',
        '**Parameter space**: 600 combinations, 480 admissible',
        [
          '- `fast`: 5, 10, 15, …, 50 (10 values); sma_cross.fast in signal_generation',
          '- `slow`: 20, 50, 100, 200 (4 values); sma_cross.slow in signal_generation',
          '- `atr_multiplier`: 1, 1.5, 2 (3 values); atr_exit.atr_multiplier in exit_planning',
          '- `risk_reward_ratio`: 1, 1.5, 2, 2.5, 3 (5 values); atr_exit.risk_reward_ratio in exit_planning',
        ].join('\n'),
        '**Rules**\n\n- where: `fast < slow`\n- ranked by **sharpe_ratio**; also total_return, max_drawdown\n- min_trades: 5',
        '[Results page](http://127.0.0.1:8787/#/sweeps/opt%201)',
      ].join('\n\n'),
    );
  });

  test("a variant test's details name each variant by what it changes in the base blueprint", () => {
    const details = sweepStaticMetadata(variants, 'http://x/#/sweeps/v').staticDetails;
    assert.match(details, /^- \*\*Baseline\*\*: the base blueprint$/m);
    assert.match(details, /^- \*\*Hoge RR\*\*: exit_planning: atr_exit\(atr_period=14 atr_multiplier=1\.5 risk_reward_ratio=3\)$/m);
    assert.match(details, /^- \*\*Andere Exit\*\*: exit_planning: fixed_percentage_exit\(stop_pct=2 target_pct=4\)$/m);
    assert.match(details, /^- min_trades: 0$/m);
    assert.ok(!details.includes(root), 'no server path in the details');
  });
});

describe('current details', () => {
  test('rate is finished operations per second of workflow time, ETA what is left at that rate', () => {
    // 102 finished in 20 s: 5.1 ops/s; 378 left / 5.1 = 74.1 s.
    const { rate, eta_s } = rateAndEta(moment);
    assert.equal(rate, 5.1);
    assert.ok(Math.abs(eta_s! - 378 / 5.1) < 1e-9);
    assert.deepEqual(rateAndEta({ ...moment, done: 0, failed: 0 }), { rate: null, eta_s: null }, 'nothing finished: no rate, no ETA');
  });

  test('list the summary line, phase, counts, rate, ETA, best with params, generation and pause state', () => {
    assert.equal(
      currentDetails(moment),
      [
        '- optimization · sma grid · 480 operations · sharpe_ratio',
        '- **running**',
        '- done 100 · failed 2 · total 480 (21.3 %) · in flight 8',
        '- rate 5.1 ops/s · ETA 1m14s',
        '- best so far: sharpe_ratio 1.235 at #7: fast=5 slow=20 (12 trades)',
        '- generation 1 (continue-as-new count)',
        '- paused: no',
      ].join('\n'),
    );
  });

  test('say so when nothing is ranked or measured yet and the sweep is paused', () => {
    const details = currentDetails({ ...moment, phase: 'paused', done: 0, failed: 0, best: null, paused: true });
    assert.match(details, /^- rate — · ETA —$/m);
    assert.match(details, /^- best so far: none yet$/m);
    assert.match(details, /^- paused: yes$/m);
  });
});

describe('pack summaries', () => {
  test('a pack of combinations shows its index range and count; a single one its params', () => {
    assert.equal(packSummary(optimization, [12, 13, 20, 63]), '#12–#63 · 4 operations');
    assert.equal(packSummary(optimization, [0]), '#0 fast=5 slow=20 atr_multiplier=1 risk_reward_ratio=1');
  });

  test('a pack of variants shows their names', () => {
    assert.equal(packSummary(variants, [1]), 'variant Hoge RR');
    assert.equal(packSummary(variants, [0, 2]), 'variants Baseline, Andere Exit');
  });
});
