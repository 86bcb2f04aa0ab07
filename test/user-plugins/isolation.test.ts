import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, describe, test } from 'node:test';
import { ConfigError } from '../../src/config/errors.js';
import { loadWorkspacePlugins } from '../../src/user-plugins/index.js';
import { runCli } from '../cli/run-cli.js';
import { makeWorkspace, runWorkforce, signalPlugin, sweepFiles } from './workspace.js';

/*
 * Plugin code is a guest (docs/plugins.md, "What a plugin can and cannot do"): from a file's top
 * level, from create() and from an exit plan, every way to the host process this test knows of is
 * undefined or throws, and a canary in the host's environment never comes back.
 */

const CANARY = `canary-${randomUUID()}`;
process.env.SWEEPLAB_CANARY = CANARY;

const ESCAPES = `import { definePlugin, z, type ExitLevels, type Side } from 'sweeplab/plugin';

declare const process: any, require: any, fetch: any, setTimeout: any, WebAssembly: any, SharedArrayBuffer: any;
let leaked: unknown;

const ATTEMPTS: Record<string, (c: any) => unknown> = {
  'process.env': () => process.env.SWEEPLAB_CANARY,
  'globalThis.process': () => (globalThis as any).process,
  'process.getBuiltinModule': () => process.getBuiltinModule('fs'),
  'Function': () => (0, Function)('return process')(),
  'eval': () => (0, eval)('process'),
  'globalThis.constructor': () => (globalThis as any).constructor.constructor('return process')(),
  'this.constructor': (c) => c.self.constructor.constructor('return process')(),
  'arguments': (c) => c.args.constructor.constructor('return process')(),
  'bars': (c) => c.bars.constructor.constructor('return process')(),
  'bars.close': (c) => c.bars.close.constructor.constructor('return process')(),
  'params': (c) => c.params.constructor.constructor('return process')(),
  'levels': (c) => c.levels.constructor.constructor('return process')(),
  'zod': () => (z as any).constructor.constructor('return process')(),
  'zod schema': () => z.object({}).constructor.constructor('return process')(),
  'require': () => require(['f', 's'].join('')),
  'import()': () => {
    (import(['no', 'de:fs'].join('')) as Promise<any>).then((fs) => (leaked = fs.readFileSync('/etc/hostname', 'utf8')));
    return leaked;
  },
  'fetch': () => fetch('http://127.0.0.1:1/'),
  'setTimeout': () => setTimeout(() => undefined, 0),
  'WebAssembly': () => WebAssembly.Memory,
  'SharedArrayBuffer': () => new SharedArrayBuffer(8),
  'Error.prepareStackTrace': () => {
    (Error as any).prepareStackTrace = (_e: unknown, sites: any[]) => sites.map((s) => String(s.getThis())).join();
    return new Error('x').stack!.split('\\n')[0];
  },
};

function attempt(context: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, fn] of Object.entries(ATTEMPTS)) {
    try {
      const value = fn(context);
      out[name] = value === undefined ? 'undefined' : \`value: \${typeof value === 'string' ? value : typeof value}\`;
    } catch (error: any) {
      out[name] = \`threw \${error?.name}: \${error?.message}\`;
    }
  }
  return out;
}

const atTopLevel = attempt({});

export const escape = definePlugin({
  name: 'escape',
  phase: 'signal_generation',
  params: z.object({ report: z.boolean().default(false) }).strict(),
  doc: 'A plugin written by a test that tries every way out of its realm it knows.',
  lookback: () => 10,
  create(bars, p) {
    if (p.report) throw new Error(JSON.stringify({ topLevel: atTopLevel, create: attempt({ self: this, args: arguments, bars, params: p }) }));
    const events = new Int8Array(bars.length);
    for (let i = 10; i < bars.length; i++) events[i] = bars.close[i] > bars.close[i - 10] ? 1 : -1;
    return { kind: 'signal', events, direction: 'long' };
  },
});

export const escapeExit = definePlugin({
  name: 'escape_exit',
  phase: 'exit_planning',
  params: z.object({}).strict(),
  doc: 'An exit plugin written by a test that tries every way out of its realm from plan().',
  lookback: () => 0,
  create: () => ({
    kind: 'exit',
    plan(_side: Side, _entry: number, _bar: number, levels: ExitLevels) {
      throw new Error(JSON.stringify(attempt({ self: this, args: arguments, levels })));
    },
  }),
});

export const thrower = definePlugin({
  name: 'thrower',
  phase: 'signal_generation',
  params: z.object({ what: z.enum(['string', 'number', 'null', 'getter']).default('string') }).strict(),
  doc: 'A plugin written by a test that throws something that is not an Error.',
  lookback: () => 0,
  create(_bars, p) {
    if (p.what === 'string') throw 'a string';
    if (p.what === 'number') throw 42;
    if (p.what === 'null') throw null;
    throw { get message() { throw new Error('no message'); } };
  },
});
`;

const root = makeWorkspace({ 'plugins/escapes.ts': ESCAPES });
after(() => fs.rmSync(root, { recursive: true, force: true }));
const plugins = loadWorkspacePlugins(root).set;

/** The ConfigError of running `workforce`; the run must fail. */
function failure(workforce: unknown): ConfigError {
  try {
    runWorkforce(root, workforce, plugins);
  } catch (error) {
    assert.ok(error instanceof ConfigError, `a ConfigError, got ${String(error)}`);
    return error;
  }
  assert.fail('the run succeeded, but the plugin throws');
}

/** What each attempt gave, as the plugin reported it in the message of the Error it threw. */
function report(workforce: unknown): Record<string, Record<string, string>> {
  const { message } = failure(workforce);
  assert.doesNotMatch(message, new RegExp(CANARY), 'the canary never comes back');
  return JSON.parse(message.slice(message.indexOf('threw Error: ') + 'threw Error: '.length)) as Record<string, Record<string, string>>;
}

const CODE_GENERATION = 'threw EvalError: Code generation from strings disallowed for this context';

/** Every attempt is undefined or threw; the ones that would reach the host name why they cannot. */
function assertContained(outcomes: Record<string, string>, where: string): void {
  for (const [name, outcome] of Object.entries(outcomes)) {
    assert.match(outcome, /^(undefined|threw (ReferenceError|TypeError|EvalError|Error): .+|value: Error: x)$/, `${where}: ${name} gave ${outcome}`);
  }
  assert.equal(outcomes['process.env'], 'threw ReferenceError: process is not defined', where);
  assert.equal(outcomes['globalThis.process'], 'undefined', where);
  assert.equal(outcomes['process.getBuiltinModule'], 'threw ReferenceError: process is not defined', where);
  assert.equal(outcomes.Function, CODE_GENERATION, where);
  assert.equal(outcomes.eval, CODE_GENERATION, where);
  assert.equal(outcomes['globalThis.constructor'], CODE_GENERATION, where);
  assert.equal(outcomes.zod, CODE_GENERATION, where);
  assert.equal(outcomes['zod schema'], CODE_GENERATION, where);
  assert.match(outcomes.require, /^threw Error: cannot import "fs": a plugin imports only "sweeplab\/plugin"/, where);
  assert.equal(outcomes['import()'], 'undefined', `${where}: the import's promise never settles`);
  assert.equal(outcomes.fetch, 'threw ReferenceError: fetch is not defined', where);
  assert.equal(outcomes.setTimeout, 'threw ReferenceError: setTimeout is not defined', where);
  assert.equal(outcomes.WebAssembly, 'threw ReferenceError: WebAssembly is not defined', where);
  assert.equal(outcomes.SharedArrayBuffer, 'threw ReferenceError: SharedArrayBuffer is not defined', where);
  assert.match(outcomes['Error.prepareStackTrace'], /^(value: Error: x|threw TypeError: Cannot assign to read only property 'prepareStackTrace' .*)$/, `${where}: the stack hook is never called`);
}

const signalOnly = (report: boolean) => ({ analysis_workers: { signal_generation: [{ plugin: 'escape', params: { report } }] } });

describe('plugin code cannot reach the host process', () => {
  test('from a file\'s top level and from create(): through globals, Function, eval, require, import(), bars, params, arguments and zod', async () => {
    const first = report(signalOnly(true));
    assertContained(first.topLevel!, 'top level');
    assertContained(first.create!, 'create');
    for (const handed of ['this.constructor', 'arguments', 'bars', 'bars.close', 'params']) assert.equal(first.create![handed], CODE_GENERATION, handed);
    // The host's event loop turns: an import() of plugin code never resolves, and never kills the process.
    await sleep(50);
    assert.equal(report(signalOnly(true)).create!['import()'], 'undefined');
  });

  test('from an exit plan: through the levels object it is handed', () => {
    const outcomes = report({ analysis_workers: { signal_generation: [{ plugin: 'escape', params: { report: false } }], exit_planning: [{ plugin: 'escape_exit' }] } }) as unknown as Record<string, string>;
    assertContained(outcomes, 'plan');
    assert.equal(outcomes.levels, CODE_GENERATION);
    assert.equal(outcomes.arguments, CODE_GENERATION);
  });
});

describe('a throw that is not an Error', () => {
  const thrown = (what: string) => failure({ analysis_workers: { signal_generation: [{ plugin: 'thrower', params: { what } }] } }).message;

  test('is a ConfigError naming the plugin and the value', () => {
    const reason = (value: string) => `plugins/escapes.ts: plugin "thrower" threw ${value}, which is not an Error (throw new Error(…) to say where and why)`;
    assert.equal(thrown('string'), reason('"a string"'));
    assert.equal(thrown('number'), reason('42'));
    assert.equal(thrown('null'), reason('null'));
    assert.equal(thrown('getter'), reason('an object'));
  });

  test('at a file\'s top level is refused naming the file', () => {
    const other = makeWorkspace({ 'plugins/top.ts': `${signalPlugin('top', '')}\nthrow 'not ready';\n` });
    try {
      assert.throws(() => loadWorkspacePlugins(other), (e: unknown) => e instanceof ConfigError && e.message === 'plugins/top.ts: the plugin file throws while loading: "not ready", which is not an Error (throw new Error(…) to say where and why)');
    } finally {
      fs.rmSync(other, { recursive: true, force: true });
    }
  });
});

test('run-operation: a plugin that calls process.exit(0) fails with a clear reason, exit code 2', async () => {
  const source = signalPlugin('exiter', 'process.exit(0);');
  const workspace = makeWorkspace({ 'plugins/exiter.ts': source, ...sweepFiles('exiter', [10]) });
  try {
    const run = await runCli(['run-operation', 'op-exiter.yaml'], { cwd: workspace, env: { SWEEPLAB_DATA_ROOT: '', TEMPORAL_ADDRESS: '127.0.0.1:1' } });
    const line = source.split('\n').findIndex((l) => l.includes('process.exit')) + 1;
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, new RegExp(`^error: plugins/exiter\\.ts:${line}:\\d+: plugin "exiter" threw ReferenceError: process is not defined\\n$`));
  } finally {
    fs.rmSync(workspace, { recursive: true, force: true });
  }
});
