import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { runCli } from '../cli/run-cli.js';
import { makeWorkspace, MOMENTUM, signalPlugin, sweepFiles } from './workspace.js';

/*
 * The CLI as a user runs it from a workspace of their own (a temp folder, its working directory and
 * data root): user plugins run, and bad plugin code is one paragraph on stderr with exit code 2,
 * refused before anything reaches Temporal (TEMPORAL_ADDRESS points at a port nothing listens on).
 */

const roots: string[] = [];
after(() => roots.forEach((root) => fs.rmSync(root, { recursive: true, force: true })));

function workspace(files: Record<string, string>): string {
  const root = makeWorkspace(files);
  roots.push(root);
  return root;
}

const ENV = { SWEEPLAB_DATA_ROOT: '', TEMPORAL_ADDRESS: '127.0.0.1:1' };

async function refused(root: string, args: string[]): Promise<string> {
  const run = await runCli(args, { cwd: root, env: ENV });
  assert.equal(run.code, 2, `exit code 2 for ${args.join(' ')}; stderr: ${run.stderr}`);
  assert.equal(run.stdout, '');
  assert.doesNotMatch(run.stderr, /\n\s+at /, 'no stack trace');
  return run.stderr;
}

describe('sweeplab in a workspace with plugins', () => {
  test('run-operation runs an operation with the workspace plugin', async () => {
    const run = await runCli(['run-operation', 'operation_momentum.yaml', '--json'], { cwd: workspace({}), env: ENV });
    assert.equal(run.code, 0, run.stderr);
    assert.ok(JSON.parse(run.stdout).metrics.total_trades > 0);
  });

  test('a compile error: exit 2 with file:line:column and the compiler message', async () => {
    const root = workspace({ 'plugins/broken.ts': 'export const x = ;\n' });
    assert.equal(await refused(root, ['optimize', 'optimization.yaml']), 'error: plugins/broken.ts:1:18: does not compile: Unexpected ";"\n');
  });

  test('a plugin that looks ahead: exit 2 naming the plugin and the bar', async () => {
    const root = workspace({ 'plugins/peek.ts': signalPlugin('peek', 'for (let i = p.period; i < bars.length - 1; i++) events[i] = close[i + 1] > close[i] ? 1 : -1;'), ...sweepFiles('peek', [10]) });
    assert.match(await refused(root, ['optimize', 'opt-peek.yaml']), /^error: blueprints\/peek\.yaml: workforce\.analysis_workers\.signal_generation\[0\]: plugin "peek" looks ahead: its output at bar \d+ \(/);
  });

  test('a plugin that is not deterministic: exit 2 with the reason', async () => {
    const root = workspace({ 'plugins/noisy.ts': signalPlugin('noisy', 'for (let i = p.period; i < bars.length; i++) events[i] = Math.random() < 0.1 ? 1 : 0;'), ...sweepFiles('noisy', [10]) });
    assert.match(await refused(root, ['optimize', 'opt-noisy.yaml']), /plugin "noisy" is not deterministic: two runs on the same bars differ at bar \d+/);
  });

  test('a plugin that never returns: exit 2 after max_operation_seconds, not a hang', async () => {
    const root = workspace({ 'plugins/stuck.ts': signalPlugin('stuck', `for (;;) {}\n    ${MOMENTUM}`), ...sweepFiles('stuck', [10], 'max_operation_seconds: 1') });
    assert.match(await refused(root, ['optimize', 'opt-stuck.yaml']), /^error: blueprints\/stuck\.yaml: workforce: the operation did not finish within 1 s \(parallel_config\.max_operation_seconds\)/);
  });

  test('a plugin that throws: exit 2 with its message and file:line', async () => {
    const source = signalPlugin('thrower', `throw new TypeError('no data for ' + p.period);\n    ${MOMENTUM}`);
    const root = workspace({ 'plugins/thrower.ts': source, ...sweepFiles('thrower', [10]) });
    const line = source.split('\n').findIndex((l) => l.includes('new TypeError')) + 1;
    assert.match(await refused(root, ['run-operation', 'op-thrower.yaml']), new RegExp(`^error: plugins/thrower\\.ts:${line}:\\d+: plugin "thrower" threw TypeError: no data for 10\\n$`));
  });

  test('run-operation refuses to replay an operation with changed code, naming the file', async () => {
    const root = workspace({});
    const op = fs.readFileSync(path.join(root, 'operation_momentum.yaml'), 'utf8');
    // What export and GET /api/operations/:hash hand out: the operation with the hash of its code.
    const { loadWorkspacePlugins } = await import('../../src/user-plugins/index.js');
    const hash = loadWorkspacePlugins(root).set.byName.get('roc_momentum')!.source!.code_hash;
    fs.writeFileSync(path.join(root, 'replay.yaml'), `${op}plugin_code: { plugins/roc_momentum.ts: ${hash} }\n`);
    const ok = await runCli(['run-operation', 'replay.yaml'], { cwd: root, env: ENV });
    assert.equal(ok.code, 0, ok.stderr);

    fs.appendFileSync(path.join(root, 'plugins/roc_momentum.ts'), '// edited\n');
    assert.match(await refused(root, ['run-operation', 'replay.yaml']), /^error: replay\.yaml: plugin_code\.plugins\/roc_momentum\.ts: plugins\/roc_momentum\.ts changed since this operation ran \(its code hash was "[0-9a-f]{64}", it is now "[0-9a-f]{64}"\)/);
  });
});
