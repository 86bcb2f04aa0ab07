import { BroadcastChannel } from 'node:worker_threads';
import { ConfigError, isConfigError, isUserError, type UserError as Thrown } from '../config/errors.js';
import { comboAt, type Combo } from '../config/grid.js';
import { sweepHasher } from '../config/hash.js';
import { operationAt, workforceAt } from '../config/operation-at.js';
import type { SweepSpec } from '../config/sweep.js';
import { blockReturns } from '../engine/block-returns.js';
import { runBacktest } from '../engine/index.js';
import { BUILTIN_PLUGINS, userPluginsIn, type PluginSet } from '../engine/plugins/registry.js';
import type { Metrics } from '../engine/result.js';
import { encodeBlocks, specBlocks } from '../store/blocks-codec.js';
import { thrownReason, pluginsWho } from '../user-plugins/containment.js';
import { pluginSetFromBundle, type PluginBundle } from '../user-plugins/index.js';
import { loadOperationBars } from '../services/run-operation.js';

/*
 * Runs inside a pool thread, a batch of one sweep's operations per task, so the activity's thread
 * only moves compact results into the store (docs/store.md). A task derives what it needs from the
 * spec and the indices itself: the hashes (derived once per task, src/config/hash.ts), and for a
 * run the bars (loaded once per task), each operation's workforce (as operationAt derives it), its
 * metrics and its block returns; curves
 * and trades are not kept. Errors lose their class when they cross a thread boundary, so user
 * errors come back as data and only bugs throw.
 */

export interface HashTask {
  spec: SweepSpec;
  indices: number[];
  /** The sweep's user plugin code (its hash is checked before it first runs here); null for built-ins only. */
  plugins: PluginBundle | null;
  /** Where to say that this task has started (src/activities/pool.ts), when it has a time limit. */
  started?: { channel: string; number: number };
}

/** The pack's hashes and params, or the user error that keeps its code from loading (a bundle that does not check out). */
export type HashOutcome = { ok: true; hashes: string[]; params: Combo[] } | { ok: false; error: UserError };

export interface RunTask {
  spec: SweepSpec;
  indices: number[];
  dataRoot: string;
  plugins: PluginBundle | null;
  /** Where to say that this task has started (src/activities/pool.ts), when it has a time limit. */
  started?: { channel: string; number: number };
}

export interface UserError {
  /** Null for an engine error, which names no file. */
  file: string | null;
  field: string;
  reason: string;
  message: string;
}

export type OperationOutcome = { idx: number; ok: true; metrics: Metrics; blocks: Uint8Array; ms: number } | { idx: number; ok: false; error: UserError };

/** Per operation, or for the whole batch when its data cannot be loaded (every operation would fail alike). */
export type RunOutcome = { ok: true; operations: OperationOutcome[] } | { ok: false; error: UserError };

/** Loading the sweep's code is where a bad bundle shows: its user error comes back as data, for the whole task. */
export function hashOperations(task: HashTask): HashOutcome {
  if (task.started) startedChannel(task.started.channel).postMessage(task.started.number);
  let plugins;
  try {
    plugins = pluginSet(task.plugins);
  } catch (err) {
    if (isConfigError(err)) return { ok: false, error: userError(err) };
    throw err;
  }
  const hasher = sweepHasher(task.spec, plugins);
  return {
    ok: true,
    hashes: task.indices.map((idx) => hasher.hash(idx)),
    // A combination's params need no materializing; a variant test has a handful of operations.
    params: task.indices.map((idx) => (task.spec.kind === 'optimization' ? comboAt(task.spec.grid, idx) : operationAt(task.spec, idx, plugins).params)),
  };
}

export function runOperations(task: RunTask): RunOutcome {
  if (task.started) startedChannel(task.started.channel).postMessage(task.started.number);
  const { spec, indices, dataRoot } = task;
  const blocks = specBlocks(spec);
  let bars;
  let plugins;
  try {
    plugins = pluginSet(task.plugins);
    bars = loadOperationBars(operationAt(spec, indices[0]!, plugins).op, { dataRoot, file: spec.file });
  } catch (err) {
    if (isUserError(err)) return { ok: false, error: userError(err) };
    throw err;
  }
  const environment = spec.base.environment;
  const operations = indices.map((idx): OperationOutcome => {
    const started = performance.now();
    try {
      // What operationAt would materialize, without the copy of everything else.
      const result = runBacktest(bars, workforceAt(spec, idx), environment, plugins);
      return { idx, ok: true, metrics: result.metrics, blocks: encodeBlocks(blockReturns(result.equity.v, blocks)), ms: performance.now() - started };
    } catch (err) {
      const failure = operationFailure(err, task.plugins && plugins, spec, idx);
      if (failure) return { idx, ok: false, error: userError(failure) };
      throw err;
    }
  });
  return { ok: true, operations };
}


/**
 * What fails one operation rather than the task: a user error, or, where user code ran, any value
 * thrown that is not an Error of this thread (`throw 'a string'`, an object). sweeplab throws only
 * Errors, and a plugin's own Errors already come out as ConfigErrors with its file and line
 * (PluginSet.faultOf), so what is left, an Error from sweeplab's code, is a bug and fails the task.
 */
function operationFailure(err: unknown, userCode: PluginSet | null, spec: SweepSpec, idx: number): ConfigError | null {
  if (isConfigError(err)) return err;
  if (!userCode || err instanceof Error) return null;
  const plugins = userPluginsIn(workforceAt(spec, idx), userCode);
  const file = plugins.length === 1 ? plugins[0]!.source!.file : spec.file;
  return new ConfigError(file, '', thrownReason(pluginsWho(plugins.map((p) => p.name)), err));
}

function pluginSet(bundle: PluginBundle | null): PluginSet {
  return bundle ? pluginSetFromBundle(bundle) : BUILTIN_PLUGINS;
}

const channels = new Map<string, BroadcastChannel>();

function startedChannel(name: string): BroadcastChannel {
  let channel = channels.get(name);
  if (!channel) {
    channel = new BroadcastChannel(name);
    channel.unref();
    channels.set(name, channel);
  }
  return channel;
}

function userError(err: Thrown): UserError {
  return { file: err.where, field: err.field, reason: err.reason, message: err.message };
}
