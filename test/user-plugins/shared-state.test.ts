import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { runOperations } from '../../src/activities/backtest-thread.js';
import { loadVariantFile } from '../../src/intake/load.js';
import { variantTestSpec } from '../../src/config/sweep.js';
import { loadWorkspacePlugins } from '../../src/user-plugins/index.js';
import { runCli } from '../cli/run-cli.js';
import { makeWorkspace, runWorkforce } from './workspace.js';

/*
 * What a plugin reads, it cannot change for anyone else (docs/plugins.md, "What a plugin can and
 * cannot do"): a user plugin that writes into its bars, or fills the series cache under a built-in's
 * key, leaves every other operation of the thread (a built-in variant beside it, another param set
 * of itself) exactly as it runs alone.
 */

const SIGNAL = (name: string, body: string) => `
export const ${name} = definePlugin({
  name: '${name}',
  phase: 'signal_generation',
  params: z.object({ period: z.number().int().min(1).max(500).default(20) }).strict(),
  doc: 'A momentum signal written by a test that also ${name === 'scribbler' ? 'writes into its bars' : name === 'poisoner' ? 'fills the cache under atr:14' : 'does nothing else'}.',
  lookback: (p) => p.period,
  create(bars, p) {
    const close = bars.close;
    const events = new Int8Array(bars.length);
    for (let i = p.period; i < bars.length; i++) events[i] = close[i] > close[i - p.period] ? 1 : -1;
    ${body}
    return { kind: 'signal', events, direction: 'long' };
  },
});
`;

const PLUGINS = `import { cachedSeries, definePlugin, z } from 'sweeplab/plugin';
${SIGNAL('scribbler', 'for (let i = 0; i < bars.length; i++) { bars.close[i] *= 0.5; bars.high[i] *= 0.5; }')}
${SIGNAL('poisoner', "cachedSeries(bars, 'atr:14', () => new Float64Array(bars.length).fill(1e-9));")}
${SIGNAL('plain', '')}
`;

const VARIANTS = `variant_config:
  name: shared state
  base_operation: operation.yaml
  variants:
    - { name: Scribbler, overrides: { analysis_workers: { signal_generation: [ { plugin: scribbler, params: { period: 20 } } ] } } }
    - { name: Poisoner, overrides: { analysis_workers: { signal_generation: [ { plugin: poisoner, params: { period: 20 } } ] } } }
    - { name: Baseline, overrides: {} }
    - { name: Plain, overrides: { analysis_workers: { signal_generation: [ { plugin: plain, params: { period: 20 } } ] } } }
`;

const root = makeWorkspace({ 'plugins/writers.ts': PLUGINS, 'var.yaml': VARIANTS });
after(() => fs.rmSync(root, { recursive: true, force: true }));

describe('a plugin that writes into what it reads', () => {
  test('leaves a built-in variant of the same variant test and thread bit-identical to its run alone', () => {
    const loaded = loadVariantFile(path.join(root, 'var.yaml'), { dataRoot: root });
    const spec = variantTestSpec(loaded);
    const task = (indices: number[]) => {
      const outcome = runOperations({ spec, indices, dataRoot: root, plugins: loaded.plugins.bundle });
      assert.ok(outcome.ok);
      return outcome.operations.map((o) => (assert.ok(o.ok, JSON.stringify(o)), o.metrics));
    };
    const [alone] = task([2]);
    assert.ok(alone.total_trades! > 5, 'a baseline with trades');
    // The scribbler halves its closes and the poisoner fills "atr:14" with 1e-9, then the built-in
    // baseline (sma_cross with atr_exit on atr:14) runs in the same thread on the same bars.
    const [, , beside, plainAfter] = task([0, 1, 2, 3]);
    assert.deepEqual(beside, alone, 'the built-in baseline reads the bars and ATR it reads alone');
    const [plainAlone] = task([3]);
    assert.deepEqual(plainAfter, plainAlone, 'a user plugin after them reads the bars it reads alone');
  });

  test('cannot change what its own next run reads', () => {
    const plugins = loadWorkspacePlugins(root).set;
    const workforce = { analysis_workers: { signal_generation: [{ plugin: 'scribbler', params: { period: 20 } }], exit_planning: [{ plugin: 'atr_exit' }] } };
    const first = runWorkforce(root, workforce, plugins);
    const second = runWorkforce(root, workforce, plugins);
    assert.deepEqual(second.metrics, first.metrics);
  });

  test('run-operation: a plugin that writes into its bars leaves the built-ins of its operation and the fills unchanged', async () => {
    const blueprint = (signal: string) => `name: ${signal}
workforce:
  context_workers:
    regime_context: [ { plugin: trend_filter, params: { period: 50 } } ]
  analysis_workers:
    signal_generation: [ { plugin: ${signal}, params: { period: 20 } } ]
    exit_planning: [ { plugin: atr_exit } ]
`;
    const op = fs.readFileSync(path.join(root, 'operation.yaml'), 'utf8');
    const files = {
      'blueprints/scribbler.yaml': blueprint('scribbler'),
      'blueprints/plain.yaml': blueprint('plain'),
      'op-scribbler.yaml': op.replace('blueprints/sma_cross_atr.yaml', 'blueprints/scribbler.yaml'),
      'op-plain.yaml': op.replace('blueprints/sma_cross_atr.yaml', 'blueprints/plain.yaml'),
    };
    for (const [file, text] of Object.entries(files)) fs.writeFileSync(path.join(root, file), text);
    const env = { SWEEPLAB_DATA_ROOT: '', TEMPORAL_ADDRESS: '127.0.0.1:1' };
    const scribbled = await runCli(['run-operation', 'op-scribbler.yaml', '--json'], { cwd: root, env });
    const plain = await runCli(['run-operation', 'op-plain.yaml', '--json'], { cwd: root, env });
    assert.equal(scribbled.code, 0, scribbled.stderr);
    assert.equal(plain.code, 0, plain.stderr);
    const result = (stdout: string) => {
      const { metrics, trades } = JSON.parse(stdout) as { metrics: unknown; trades: unknown[] };
      return { metrics, trades };
    };
    assert.ok(result(plain.stdout).trades.length > 5, 'an operation with trades');
    assert.deepEqual(result(scribbled.stdout), result(plain.stdout), 'the same events give the same trades: trend_filter, atr_exit and the fills read the real closes');
  });
});
