import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { ConfigError, DataError } from '../../src/config/errors.js';
import { operationHash } from '../../src/config/hash.js';
import { loadOperationFile, loadOptimizationFile, loadVariantFile } from '../../src/intake/load.js';
import { materialize } from '../../src/config/materialize.js';
import { dumpYaml } from '../../src/intake/yaml.js';
import { bundleWorkspacePlugins, loadWorkspacePlugins, pluginSetFromBundle } from '../../src/user-plugins/index.js';
import { makeWorkspace, MOMENTUM, signalPlugin, sweepFiles, writeFile } from './workspace.js';

/*
 * User plugins through loading, as a submission sees them: discovery and bundling of the
 * workspace's plugins folder, the same checks a built-in gets, the plugin contract on the user's
 * data, and the code hash in every operation that uses the plugin.
 */

const roots: string[] = [];
after(() => roots.forEach((root) => fs.rmSync(root, { recursive: true, force: true })));

function workspace(files: Record<string, string> = {}, opts: { plugins?: boolean } = {}): string {
  const root = makeWorkspace(files, opts);
  roots.push(root);
  return root;
}

/** Loads `file` of the workspace as an optimization and returns the ConfigError it throws. */
function refusal(root: string, file: string): ConfigError {
  try {
    loadOptimizationFile(path.join(root, file), { dataRoot: root });
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  assert.fail(`${file} loaded, but it should have been refused`);
}

/** 1-based line and column of the first occurrence of `text` in `source`. */
function positionOf(source: string, text: string): string {
  const index = source.indexOf(text);
  assert.ok(index >= 0, `"${text}" is in the source`);
  const before = source.slice(0, index).split('\n');
  return `${before.length}:${before.at(-1)!.length + 1}`;
}

describe('a workspace plugin', () => {
  test("is named in a blueprint like a built-in and its params are swept like a built-in's", () => {
    const root = workspace();
    const loaded = loadOptimizationFile(path.join(root, 'optimization_momentum.yaml'), { dataRoot: root });
    assert.equal(loaded.admissible, 20);
    assert.equal(loaded.plugin_bundle, loaded.plugins.bundle!.hash);
    // The plugin's schema filled in its default, as for a built-in.
    assert.deepEqual(loaded.base.blueprint.workforce.analysis_workers.signal_generation, [
      { plugin: 'roc_momentum', params: { period: 20, threshold_pct: 5, direction: 'long' } },
    ]);
  });

  test('a sweep of built-ins only carries no plugin bundle, even in a workspace with plugins', () => {
    const root = workspace();
    assert.equal(loadOptimizationFile(path.join(root, 'optimization.yaml'), { dataRoot: root }).plugin_bundle, null);
  });

  test('a misspelt name gets a did-you-mean to the user plugin', () => {
    const root = workspace({ 'blueprints/roc_momentum.yaml': fs.readFileSync(path.join(workspace(), 'blueprints/roc_momentum.yaml'), 'utf8').replace('plugin: roc_momentum', 'plugin: roc_momentun') });
    const error = refusal(root, 'optimization_momentum.yaml');
    assert.equal(error.file, 'blueprints/roc_momentum.yaml');
    assert.match(error.reason, /unknown plugin "roc_momentun"; did you mean "roc_momentum"\?/);
  });

  test('the phase check covers it', () => {
    const root = workspace({
      'blueprints/roc_momentum.yaml': 'name: wrong\nworkforce:\n  analysis_workers:\n    signal_generation: [ { plugin: sma_cross } ]\n    exit_planning: [ { plugin: roc_momentum } ]\n',
    });
    const error = refusal(root, 'optimization_momentum.yaml');
    assert.equal(error.field, 'workforce.analysis_workers.exit_planning[0].plugin');
    assert.equal(error.reason, '"roc_momentum" cannot stand in exit_planning; it belongs in "signal_generation"');
  });

  test('a swept value its schema rejects is refused at load', () => {
    const root = workspace({ 'opt.yaml': fs.readFileSync(path.join(workspace(), 'optimization_momentum.yaml'), 'utf8').replace('[10, 20, 40, 60, 120]', '[10, 20, 0]') });
    const error = refusal(root, 'opt.yaml');
    assert.equal(error.field, 'optimization_config.parameter_space[0].parameters.period.values[2]');
    assert.match(error.reason, /^0 is rejected by roc_momentum\.period: /);
  });

  test('an override in a variant test can swap a built-in for it', () => {
    const root = workspace({
      'var.yaml': `variant_config:
  name: swap
  base_operation: operation.yaml
  variants:
    - { name: SMA, overrides: {} }
    - { name: ROC, overrides: { analysis_workers: { signal_generation: [ { plugin: roc_momentum, params: { period: 40 } } ] } } }
`,
    });
    const loaded = loadVariantFile(path.join(root, 'var.yaml'), { dataRoot: root });
    assert.equal(loaded.plugin_bundle, loaded.plugins.bundle!.hash);
    assert.equal(loaded.variants[1].workforce.analysis_workers.signal_generation[0].params.period, 40);
  });
});

describe('plugin names', () => {
  test("a built-in's name is refused, naming both files", () => {
    const root = workspace({ 'plugins/mine.ts': signalPlugin('sma_cross', MOMENTUM) });
    const error = refusal(root, 'optimization.yaml');
    assert.equal(error.file, 'plugins/mine.ts');
    assert.equal(error.reason, 'plugin "sma_cross" has the name of a built-in plugin (src/engine/plugins/signals.ts in sweeplab); give it another name');
  });

  test("another file's plugin name is refused, naming both files", () => {
    const root = workspace({ 'plugins/a.ts': signalPlugin('twin', MOMENTUM), 'plugins/b.ts': signalPlugin('twin', MOMENTUM) });
    const error = refusal(root, 'optimization.yaml');
    assert.equal(error.message, 'plugins/b.ts: plugin "twin" is also defined in plugins/a.ts; plugin names must be unique');
  });
});

describe('bad plugin code is refused at submission', () => {
  test('a compile error names file:line:column with esbuild\'s message', () => {
    const source = signalPlugin('broken', MOMENTUM).replace("phase: 'signal_generation',", "phase: 'signal_generation'");
    const root = workspace({ 'plugins/broken.ts': source });
    const error = refusal(root, 'optimization.yaml');
    assert.equal(error.file, `plugins/broken.ts:${positionOf(source, 'params:')}`);
    assert.equal(error.reason, 'does not compile: Expected "}" but found "params"');
  });

  test('a local import that does not exist is a compile error', () => {
    const root = workspace({ 'plugins/lonely.ts': signalPlugin('lonely', MOMENTUM, "import { helper } from './lib/missing';\nvoid helper;") });
    const error = refusal(root, 'optimization.yaml');
    assert.match(error.message, /^plugins\/lonely\.ts:\d+:\d+: does not compile: Could not resolve "\.\/lib\/missing"$/);
  });

  test('a declaration that breaks the contract names the line of definePlugin', () => {
    const source = signalPlugin('Bad Name', MOMENTUM);
    const root = workspace({ 'plugins/bad.ts': source });
    const error = refusal(root, 'optimization.yaml');
    assert.equal(error.file, `plugins/bad.ts:${positionOf(source, 'definePlugin({')}`);
    assert.match(error.reason, /definePlugin: name: must be snake_case/);
  });

  test('an import of a Node built-in is refused at bundling, naming the file, its line and the import', () => {
    const source = signalPlugin('reader', MOMENTUM, "import fs from 'node:fs';\nexport const peek = () => fs.readFileSync('x');");
    const error = refusal(workspace({ 'plugins/reader.ts': source }), 'optimization.yaml');
    assert.equal(
      error.message,
      `plugins/reader.ts:${positionOf(source, "'node:fs'")}: imports "node:fs", which is a Node built-in or an external module; a plugin imports only "sweeplab/plugin" and files of the plugins folder (it computes from bars and params alone)`,
    );
  });

  test('a file without a plugin export is refused', () => {
    const error = refusal(workspace({ 'plugins/empty.ts': 'export const answer = 42;\n' }), 'optimization.yaml');
    assert.equal(error.message, 'plugins/empty.ts: defines no plugin: export one made with definePlugin from "sweeplab/plugin" (docs/plugins.md)');
  });

  test('Math.random: refused as not deterministic', () => {
    const root = workspace({
      'plugins/noisy.ts': signalPlugin('noisy', 'for (let i = p.period; i < bars.length; i++) events[i] = Math.random() < 0.05 ? 1 : Math.random() < 0.05 ? -1 : 0;'),
      ...sweepFiles('noisy', [10, 20]),
    });
    const error = refusal(root, 'opt-noisy.yaml');
    assert.equal(error.file, 'blueprints/noisy.yaml');
    assert.equal(error.field, 'workforce.analysis_workers.signal_generation[0]');
    assert.match(error.reason, /^plugin "noisy" is not deterministic: two runs on the same bars differ at bar \d+ \(\d{4}-\d\d-\d\dT[\d:.]+Z\); a plugin must compute from its bars and params only \(no Math\.random, no clock, no state kept between runs\)$/);
  });

  test('state kept between runs: refused as not deterministic', () => {
    const root = workspace({
      'plugins/counter.ts': signalPlugin('counter', 'runs++;\n    for (let i = p.period + runs; i < bars.length; i += 50) events[i] = 1;', 'let runs = 0;'),
      ...sweepFiles('counter', [10, 20]),
    });
    assert.match(refusal(root, 'opt-counter.yaml').reason, /^plugin "counter" is not deterministic: two runs on the same bars differ at bar \d+/);
  });

  test('a peek at the next bar: refused naming the plugin and the first bar where it differs', () => {
    const root = workspace({
      'plugins/peek.ts': signalPlugin('peek', 'for (let i = p.period; i < bars.length - 1; i++) events[i] = close[i + 1] > close[i] ? 1 : -1;'),
      ...sweepFiles('peek', [10, 20]),
    });
    const error = refusal(root, 'opt-peek.yaml');
    assert.equal(error.file, 'blueprints/peek.yaml');
    // The first cut (lookAheadCuts) shows it: the event of the bar before it read the cut bar's close.
    assert.match(error.reason, /^plugin "peek" looks ahead: its output at bar (\d+) \([^)]+\) changes when only bars from (\d+) \([^)]+\) on change; its output at bar t may use bars up to t only$/);
    const [, bar, cut] = /bar (\d+) .* from (\d+) /.exec(error.reason)!;
    assert.equal(Number(bar), Number(cut) - 1, 'the bar just before the changed ones is the first to move');
  });

  test('a plugin that throws on the base operation: refused with its message and file:line', () => {
    const source = signalPlugin('fragile', "if (p.period === 10) throw new RangeError('period 10 is not supported');\n    " + MOMENTUM);
    const root = workspace({ 'plugins/fragile.ts': source, ...sweepFiles('fragile', [10, 20]) });
    const error = refusal(root, 'opt-fragile.yaml');
    assert.equal(error.file, `plugins/fragile.ts:${positionOf(source, 'new RangeError')}`);
    assert.equal(error.reason, 'plugin "fragile" threw RangeError: period 10 is not supported');
  });

  test('a thrown error inside a local import names that file and line', () => {
    const helper = "export function check(period: number): void {\n  if (period === 10) throw new Error('no tens');\n}\n";
    const root = workspace({
      'plugins/lib/check.ts': helper,
      'plugins/checked.ts': signalPlugin('checked', `check(p.period);\n    ${MOMENTUM}`, "import { check } from './lib/check';"),
      ...sweepFiles('checked', [10, 20]),
    });
    const error = refusal(root, 'opt-checked.yaml');
    assert.equal(error.file, `plugins/lib/check.ts:${positionOf(helper, 'new Error')}`);
    assert.equal(error.reason, 'plugin "checked" threw Error: no tens');
  });

  test('a plugin that never returns on the base operation: refused after max_operation_seconds', () => {
    const root = workspace({ 'plugins/stuck.ts': signalPlugin('stuck', `for (;;) {}\n    ${MOMENTUM}`), ...sweepFiles('stuck', [10, 20], 'max_operation_seconds: 1') });
    const started = performance.now();
    const error = refusal(root, 'opt-stuck.yaml');
    assert.ok(performance.now() - started < 30_000, 'refused, not hung');
    assert.equal(error.file, 'blueprints/stuck.yaml');
    assert.equal(error.field, 'workforce');
    assert.equal(error.reason, 'the operation did not finish within 1 s (parallel_config.max_operation_seconds) while its user plugins "stuck" (plugins/stuck.ts) were checked; does one of them never return?');
  });

  test('a worker of the wrong kind is refused naming the plugin file', () => {
    const source = signalPlugin('wrongkind', MOMENTUM).replace("return { kind: 'signal', events, direction: p.direction };", "return { kind: 'filter', allowsEntry: () => true };");
    const root = workspace({ 'plugins/wrongkind.ts': source, ...sweepFiles('wrongkind', [10, 20]) });
    assert.equal(
      refusal(root, 'opt-wrongkind.yaml').message,
      'plugins/wrongkind.ts: plugin "wrongkind" in signal_generation must return a worker of kind "signal" from create(), got "filter"',
    );
  });
});

describe('plugin code in operation identity', () => {
  test('editing a plugin changes the hash of the operations using it, and only theirs', () => {
    const root = workspace({ 'plugins/other.ts': signalPlugin('other', MOMENTUM), ...sweepFiles('other', [10, 20]) });
    const hashes = () => {
      const plugins = loadWorkspacePlugins(root);
      const of = (file: string) => {
        const base = loadOperationFile(path.join(root, file), { dataRoot: root, plugins });
        return operationHash(materialize(base, base.blueprint.workforce, 'x', plugins.set), plugins.set);
      };
      return { roc: of('operation_momentum.yaml'), other: of('op-other.yaml'), builtin: of('operation.yaml') };
    };
    const before = hashes();
    fs.appendFileSync(path.join(root, 'plugins/lib/rate-of-change.ts'), '// a local import changed\n');
    const after = hashes();
    assert.notEqual(after.roc, before.roc, 'the plugin whose local import changed');
    assert.equal(after.other, before.other, "another file's plugin");
    assert.equal(after.builtin, before.builtin, 'built-ins only');
  });

  test('the bundle does not depend on where the workspace sits', () => {
    assert.equal(bundleWorkspacePlugins(workspace())!.hash, bundleWorkspacePlugins(workspace())!.hash);
  });

  test('a bundle whose text does not match its hash is never run', () => {
    const bundle = bundleWorkspacePlugins(workspace())!;
    const tampered = { hash: bundle.hash, text: bundle.text.replace('threshold_pct', 'threshold_pcx') };
    assert.throws(() => pluginSetFromBundle(tampered), (e: unknown) => e instanceof DataError && /hashes to "[0-9a-f]{64}", not to its name; refusing to run it/.test(e.message));
  });

  test('a materialized operation names its plugin code and replays only with that code', () => {
    const root = workspace();
    const plugins = loadWorkspacePlugins(root);
    const base = loadOperationFile(path.join(root, 'operation_momentum.yaml'), { dataRoot: root, plugins });
    const op = materialize(base, base.blueprint.workforce, 'replay', plugins.set);
    const codeHash = plugins.set.byName.get('roc_momentum')!.source!.code_hash;
    assert.deepEqual(op.plugin_code, { 'plugins/roc_momentum.ts': codeHash });
    writeFile(root, 'replay.yaml', dumpYaml(op));
    assert.equal(operationHash(materialize(loadOperationFile(path.join(root, 'replay.yaml'), { dataRoot: root }), base.blueprint.workforce, 'replay', plugins.set), plugins.set), operationHash(op, plugins.set));

    fs.appendFileSync(path.join(root, 'plugins/roc_momentum.ts'), '// edited\n');
    assert.throws(
      () => loadOperationFile(path.join(root, 'replay.yaml'), { dataRoot: root }),
      (e: unknown) =>
        e instanceof ConfigError &&
        e.field === 'plugin_code.plugins/roc_momentum.ts' &&
        e.reason.startsWith(`plugins/roc_momentum.ts changed since this operation ran (its code hash was "${codeHash}", it is now "`),
    );
  });
});
