import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { runOperations } from '../../src/activities/backtest-thread.js';
import { ConfigError } from '../../src/config/errors.js';
import { loadOptimizationFile } from '../../src/intake/load.js';
import { optimizationSpec } from '../../src/config/sweep.js';
import { loadWorkspacePlugins } from '../../src/user-plugins/index.js';
import { makeWorkspace, runWorkforce, sweepFiles } from './workspace.js';

/*
 * The contract is held on every run, not only at submission (docs/plugins.md, "The contract"):
 * a user plugin whose output breaks it fails that operation with a ConfigError naming the plugin,
 * its file and what it returned. One plugin per phase misbehaves in the way its `mode` param says.
 */

const ROGUES = `import { definePlugin, z, type ExitLevels, type Side } from 'sweeplab/plugin';

const momentum = (close: Float64Array, i: number) => (close[i] > close[i - 10] ? 1 : -1);

export const rogueSignal = definePlugin({
  name: 'rogue_signal',
  phase: 'signal_generation',
  params: z.object({ mode: z.enum(['ok', 'five', 'half', 'nan', 'sideways', 'short', 'lookback_nan', 'lookback_negative', 'lookback_text', 'lookback_huge']).default('ok') }).strict(),
  doc: 'A signal plugin written by a test, which breaks the contract as its mode says.',
  lookback: (p) => (({ lookback_nan: NaN, lookback_negative: -5, lookback_text: '10', lookback_huge: 1e300 }) as Record<string, unknown>)[p.mode] as number ?? 10,
  create(bars, p) {
    const wide = p.mode === 'half' || p.mode === 'nan';
    const events = wide ? new Float64Array(bars.length) : new Int8Array(p.mode === 'short' ? bars.length - 1 : bars.length);
    for (let i = 10; i < events.length; i++) events[i] = momentum(bars.close, i);
    if (p.mode === 'five') events[17] = 5;
    if (p.mode === 'half') events[17] = 0.5;
    if (p.mode === 'nan') events[17] = NaN;
    return { kind: 'signal', events: events as Int8Array, direction: p.mode === 'sideways' ? ('sideways' as 'long') : 'both' };
  },
});

export const rogueExit = definePlugin({
  name: 'rogue_exit',
  phase: 'exit_planning',
  params: z.object({ mode: z.enum(['ok', 'stop_above', 'target_negative', 'trail_nan', 'max_bars_zero']).default('ok') }).strict(),
  doc: 'An exit plugin written by a test, which breaks the contract as its mode says.',
  lookback: () => 0,
  create: (_bars, p) => ({
    kind: 'exit',
    plan(side: Side, entry: number, _bar: number, levels: ExitLevels) {
      levels.stop = entry * (1 - side * 0.02);
      levels.target = entry * (1 + side * 0.04);
      if (p.mode === 'stop_above') levels.stop = entry * (1 + side * 0.01);
      if (p.mode === 'target_negative') levels.target = -1;
      if (p.mode === 'trail_nan') levels.trailPct = NaN;
      if (p.mode === 'max_bars_zero') levels.maxBars = 0;
    },
  }),
});

export const rogueSize = definePlugin({
  name: 'rogue_size',
  phase: 'size_planning',
  params: z.object({ mode: z.enum(['ok', 'huge', 'negative', 'nan']).default('ok') }).strict(),
  doc: 'A sizer written by a test, which breaks the contract as its mode says.',
  lookback: () => 0,
  create: (_bars, p) => ({
    kind: 'size',
    size: (equity: number, price: number, _stop: number, fee: number) =>
      ({ ok: Math.floor(equity / (price * (1 + fee))), huge: 1e300, negative: -1, nan: NaN })[p.mode],
  }),
});

export const rogueFilter = definePlugin({
  name: 'rogue_filter',
  phase: 'signal_refinement',
  params: z.object({ mode: z.enum(['ok', 'number']).default('ok') }).strict(),
  doc: 'A filter written by a test, which breaks the contract as its mode says.',
  lookback: () => 0,
  create: (_bars, p) => ({ kind: 'filter', allowsEntry: () => (p.mode === 'number' ? (1 as unknown as boolean) : true) }),
});

export const rogueEntry = definePlugin({
  name: 'rogue_entry',
  phase: 'entry_planning',
  params: z.object({ mode: z.enum(['ok', 'negative', 'infinite']).default('ok') }).strict(),
  doc: 'An entry plugin written by a test, which breaks the contract as its mode says.',
  lookback: () => 0,
  create: (bars, p) => ({
    kind: 'entry',
    validBars: 3,
    limitPrice: (_side: Side, bar: number) => ({ ok: bars.close[bar], negative: -5, infinite: Infinity })[p.mode],
  }),
});
`;

const root = makeWorkspace({ 'plugins/rogues.ts': ROGUES });
after(() => fs.rmSync(root, { recursive: true, force: true }));
const plugins = loadWorkspacePlugins(root).set;

/** A workforce of rogue plugins, each in the mode given (default "ok"). */
function run(modes: { signal?: string; exit?: string; size?: string; filter?: string; entry?: string }) {
  const entry = (plugin: string, mode = 'ok') => [{ plugin, params: { mode } }];
  return runWorkforce(
    root,
    {
      analysis_workers: {
        signal_generation: entry('rogue_signal', modes.signal),
        signal_refinement: entry('rogue_filter', modes.filter),
        entry_planning: modes.entry ? entry('rogue_entry', modes.entry) : [],
        exit_planning: entry('rogue_exit', modes.exit),
        size_planning: entry('rogue_size', modes.size),
      },
    },
    plugins,
  );
}

function refusal(modes: Parameters<typeof run>[0]): string {
  try {
    run(modes);
  } catch (error) {
    assert.ok(error instanceof ConfigError, `a ConfigError, got ${String(error)}`);
    return error.message;
  }
  assert.fail('the run succeeded, but it should have failed');
}

describe('a user plugin held to the contract on every run', () => {
  test('runs when every output keeps the contract', () => {
    assert.ok(run({}).metrics.total_trades! > 10);
    assert.ok(run({ entry: 'ok' }).metrics.total_trades! > 10);
  });

  test('events of value 5 fail the operation naming the plugin, the value and the bar', () => {
    assert.equal(refusal({ signal: 'five' }), 'plugins/rogues.ts: plugin "rogue_signal" returned events of value 5 at bar 17; events must be −1, 0 or +1');
  });

  test('events of 0.5 or NaN (in a Float64Array) fail the operation', () => {
    assert.equal(refusal({ signal: 'half' }), 'plugins/rogues.ts: plugin "rogue_signal" returned events of value 0.5 at bar 17; events must be −1, 0 or +1');
    assert.equal(refusal({ signal: 'nan' }), 'plugins/rogues.ts: plugin "rogue_signal" returned events of value NaN at bar 17; events must be −1, 0 or +1');
  });

  test('events of the wrong length fail the operation', () => {
    assert.equal(refusal({ signal: 'short' }), 'plugins/rogues.ts: plugin "rogue_signal" returned events of length 2607 for 2608 bars; events have one entry per bar');
  });

  test("direction 'sideways' fails the operation", () => {
    assert.equal(refusal({ signal: 'sideways' }), 'plugins/rogues.ts: plugin "rogue_signal" returned direction "sideways"; direction must be "long", "short" or "both"');
  });

  test("a lookback of NaN, −5 or '10' fails the operation; 1e300 is the engine's warm-up error", () => {
    const reason = (shown: string) => `plugins/rogues.ts: plugin "rogue_signal" returned a lookback of ${shown} for params {"mode":"lookback_${shown === 'NaN' ? 'nan' : shown === '-5' ? 'negative' : 'text'}"}; a lookback is a whole number of bars ≥ 0`;
    assert.equal(refusal({ signal: 'lookback_nan' }), reason('NaN'));
    assert.equal(refusal({ signal: 'lookback_negative' }), reason('-5'));
    assert.equal(refusal({ signal: 'lookback_text' }), reason('"10"'));
    assert.match(refusal({ signal: 'lookback_huge' }), /^workforce\.analysis_workers\.signal_generation\[0\]: "rogue_signal" needs at least 1e\+300 bars/);
  });

  test("a long's stop above its entry, a target of −1, a NaN trail and max_bars 0 fail the operation", () => {
    assert.match(refusal({ exit: 'stop_above' }), /^plugins\/rogues\.ts: plugin "rogue_exit" set the stop to [\d.]+; a long's stop is a price below its entry, a short's above \(or none: ∓Infinity\) for a (long|short) entered at [\d.]+ \(signal bar \d+\)$/);
    assert.match(refusal({ exit: 'target_negative' }), /^plugins\/rogues\.ts: plugin "rogue_exit" set the target to -1; a long's target is a price above its entry/);
    assert.match(refusal({ exit: 'trail_nan' }), /^plugins\/rogues\.ts: plugin "rogue_exit" set trailPct to NaN; a trail is a finite percentage ≥ 0/);
    assert.match(refusal({ exit: 'max_bars_zero' }), /^plugins\/rogues\.ts: plugin "rogue_exit" set maxBars to 0; it is a whole number of bars ≥ 1/);
  });

  test('a size of 1e300 units, more than the cash pays for, fails the operation', () => {
    assert.match(
      refusal({ size: 'huge' }),
      /^plugins\/rogues\.ts: plugin "rogue_size" returned a size of 1e\+300 units at price [\d.]+ with 10000 of cash; the account can pay for at most [\d.]+ units \(cash \/ \(price × \(1 \+ fee rate\)\)\)$/,
    );
  });

  test('a negative or NaN size fails the operation', () => {
    assert.match(refusal({ size: 'negative' }), /^plugins\/rogues\.ts: plugin "rogue_size" returned a size of -1 units at price [\d.]+; a size is a finite number of units ≥ 0 \(0 skips the entry\)$/);
    assert.match(refusal({ size: 'nan' }), /^plugins\/rogues\.ts: plugin "rogue_size" returned a size of NaN units/);
  });

  test('a filter that returns a number fails the operation', () => {
    assert.match(refusal({ filter: 'number' }), /^plugins\/rogues\.ts: plugin "rogue_filter" returned 1 from allowsEntry at bar \d+; a filter returns true or false$/);
  });

  test('a negative or infinite limit price fails the operation', () => {
    assert.match(refusal({ entry: 'negative' }), /^plugins\/rogues\.ts: plugin "rogue_entry" returned a limit price of -5 at bar \d+; a limit price is a finite price > 0/);
    assert.match(refusal({ entry: 'infinite' }), /^plugins\/rogues\.ts: plugin "rogue_entry" returned a limit price of Infinity at bar \d+/);
  });
});

test('events of the wrong length for one swept value fail that operation in the sweep, and the others run', () => {
  const source = `import { definePlugin, DirectionSchema, z } from 'sweeplab/plugin';
export const plugin = definePlugin({
  name: 'shorty',
  phase: 'signal_generation',
  params: z.object({ period: z.number().int().min(1).max(500).default(20), direction: DirectionSchema }).strict(),
  doc: 'A plugin written by a test whose events are one short for period 20.',
  lookback: (p) => p.period,
  create(bars, p) {
    const events = new Int8Array(p.period === 20 ? bars.length - 1 : bars.length);
    for (let i = p.period; i < events.length; i++) events[i] = bars.close[i] > bars.close[i - p.period] ? 1 : -1;
    return { kind: 'signal', events, direction: p.direction };
  },
});
`;
  const sweep = makeWorkspace({ 'plugins/shorty.ts': source, ...sweepFiles('shorty', [10, 20, 30]) });
  try {
    const loaded = loadOptimizationFile(path.join(sweep, 'opt-shorty.yaml'), { dataRoot: sweep });
    const outcome = runOperations({ spec: optimizationSpec(loaded), indices: [0, 1, 2], dataRoot: sweep, plugins: loaded.plugins.bundle });
    assert.ok(outcome.ok);
    assert.deepEqual(outcome.operations.map((o) => o.ok), [true, false, true]);
    const failed = outcome.operations[1]!;
    assert.ok(!failed.ok);
    assert.equal(failed.error.message, 'plugins/shorty.ts: plugin "shorty" returned events of length 782 for 783 bars; events have one entry per bar');
  } finally {
    fs.rmSync(sweep, { recursive: true, force: true });
  }
});
