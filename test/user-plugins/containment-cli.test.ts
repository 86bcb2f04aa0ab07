import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, describe, test } from 'node:test';
import { runCli } from '../cli/run-cli.js';
import { chaosPlugin, EXITED, makeWorkspace, MOMENTUM, signalPlugin, sweepFiles } from './workspace.js';

/*
 * Plugin code that exits, floods memory, throws a string or never returns, through the real CLI:
 * `run-operation` runs it in a contained thread and exits 2 with the reason (never 0 with no output,
 * never a hang), and `optimize` refuses it at submission within max_operation_seconds, the CLI
 * surviving. Limits are small (2 s, 64 MB) to keep the tests quick.
 */

const roots: string[] = [];
after(() => roots.forEach((root) => fs.rmSync(root, { recursive: true, force: true })));

const ENV = { SWEEPLAB_DATA_ROOT: '', TEMPORAL_ADDRESS: '127.0.0.1:1' };
const LIMITS = 'max_operation_seconds: 2, max_operation_memory_mb: 64';

/** A workspace whose blueprint runs the chaos plugin with `period` (what it misbehaves on). */
function chaos(period: number): string {
  const root = makeWorkspace({ 'plugins/chaos.ts': chaosPlugin('chaos'), ...sweepFiles('chaos', [period], LIMITS) }, { plugins: false });
  roots.push(root);
  return root;
}

/** A workspace whose plugin file never finishes loading. */
function spinning(): string {
  const root = makeWorkspace({ 'plugins/spin.ts': signalPlugin('spin', MOMENTUM, 'for (;;) {}'), ...sweepFiles('spin', [10], LIMITS) }, { plugins: false });
  roots.push(root);
  return root;
}

async function refused(root: string, args: string[]): Promise<string> {
  const run = await runCli(args, { cwd: root, env: ENV, timeoutMs: 60_000 });
  assert.equal(run.code, 2, `exit code 2 for ${args.join(' ')}; stderr: ${run.stderr}`);
  assert.equal(run.stdout, '');
  assert.doesNotMatch(run.stderr, /\n\s+at /, 'no stack trace');
  return run.stderr;
}

const runOperation = (root: string, plugin: string) => refused(root, ['run-operation', `op-${plugin}.yaml`, '--max-operation-seconds', '2', '--max-operation-memory-mb', '64']);

describe('run-operation with plugin code that misbehaves', () => {
  test('process.exit(0) in create: exit 2 naming the plugin', async () => {
    assert.match(await runOperation(chaos(11), 'chaos'), EXITED);
  });

  test('an allocation loop: exit 2 at the memory ceiling', async () => {
    assert.equal(
      await runOperation(chaos(12), 'chaos'),
      'error: plugins/chaos.ts: plugin "chaos" exceeded the memory ceiling of 64 MB (parallel_config.max_operation_memory_mb) while the operation was loaded, checked and run\n',
    );
  });

  test('a thrown string: exit 2 naming the plugin and the value', async () => {
    assert.equal(await runOperation(chaos(13), 'chaos'), 'error: plugins/chaos.ts: plugin "chaos" threw "a string", which is not an Error (throw new Error(…) to say where and why)\n');
  });

  test('for (;;) in create: exit 2 after the time limit', async () => {
    assert.match(await runOperation(chaos(14), 'chaos'), /^error: blueprints\/chaos\.yaml: workforce: the operation did not finish within 2 s \(parallel_config\.max_operation_seconds\) while its user plugins "chaos" \(plugins\/chaos\.ts\) were checked/);
  });

  test('for (;;) at the top of a plugin file: exit 2 naming the file', async () => {
    assert.equal(await runOperation(spinning(), 'spin'), 'error: plugins/spin.ts: did not finish loading within 2 s (parallel_config.max_operation_seconds); does code at its top level never return?\n');
  });
});

describe('optimize with plugin code that misbehaves at submission', () => {
  test('for (;;) at the top of a plugin file: refused within max_operation_seconds, naming the file', async () => {
    assert.equal(await refused(spinning(), ['optimize', 'opt-spin.yaml']), 'error: plugins/spin.ts: did not finish loading within 2 s (parallel_config.max_operation_seconds); does code at its top level never return?\n');
  });

  test('process.exit(0) in create: refused, the CLI exits 2 with the reason', async () => {
    assert.match(await refused(chaos(11), ['optimize', 'opt-chaos.yaml']), EXITED);
  });

  test('an allocation loop in create: refused at the memory ceiling', async () => {
    assert.equal(
      await refused(chaos(12), ['optimize', 'opt-chaos.yaml']),
      'error: plugins/chaos.ts: plugin "chaos" exceeded the memory ceiling of 64 MB (parallel_config.max_operation_memory_mb) while the submission was checked\n',
    );
  });
});
