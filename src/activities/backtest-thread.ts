import { BroadcastChannel } from 'node:worker_threads';
import { isConfigError } from '../config/errors.js';
import type { MaterializedOperation } from '../config/materialize.js';
import { dumpYaml } from '../config/yaml.js';
import { BUILTIN_PLUGINS } from '../engine/plugins/registry.js';
import type { Metrics } from '../engine/result.js';
import { encodeResult } from '../store/result-codec.js';
import { pluginSetFromBundle, type PluginBundle } from '../user-plugins/index.js';
import { runMaterializedOperation } from './run-operation.js';

/*
 * Runs inside a pool thread: the backtest, and the encoding of what the store keeps (the compressed
 * result and the operation's YAML), so the activity's thread only moves bytes. Errors lose their
 * class when they cross a thread boundary, so a user error comes back as data and only bugs throw.
 */

export interface ThreadTask {
  op: MaterializedOperation;
  file: string;
  dataRoot: string;
  /** The sweep's user plugin code (its hash is checked before it first runs here); null for built-ins only. */
  plugins: PluginBundle | null;
  /** Where to say that this task has started (src/activities/pool.ts), when it has a time limit. */
  started?: { channel: string; number: number };
}

export type ThreadOutcome =
  | { ok: true; metrics: Metrics; blob: Uint8Array; operation_yaml: string; ms: number }
  | { ok: false; error: { file: string; field: string; reason: string; message: string } };

const channels = new Map<string, BroadcastChannel>();

export default function runTask(task: ThreadTask): ThreadOutcome {
  if (task.started) startedChannel(task.started.channel).postMessage(task.started.number);
  const started = performance.now();
  try {
    const plugins = task.plugins ? pluginSetFromBundle(task.plugins) : BUILTIN_PLUGINS;
    const result = runMaterializedOperation(task.op, { dataRoot: task.dataRoot, file: task.file, plugins });
    const ms = performance.now() - started;
    return { ok: true, metrics: result.metrics, blob: encodeResult(result), operation_yaml: dumpYaml(task.op), ms };
  } catch (err) {
    if (isConfigError(err)) return { ok: false, error: { file: err.file, field: err.field, reason: err.reason, message: err.message } };
    throw err;
  }
}

function startedChannel(name: string): BroadcastChannel {
  let channel = channels.get(name);
  if (!channel) {
    channel = new BroadcastChannel(name);
    channel.unref();
    channels.set(name, channel);
  }
  return channel;
}
