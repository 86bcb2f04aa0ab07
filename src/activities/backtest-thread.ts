import { isConfigError } from '../config/errors.js';
import type { MaterializedOperation } from '../config/materialize.js';
import { dumpYaml } from '../config/yaml.js';
import type { Metrics } from '../engine/result.js';
import { encodeResult } from '../store/result-codec.js';
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
}

export type ThreadOutcome =
  | { ok: true; metrics: Metrics; blob: Uint8Array; operation_yaml: string; ms: number }
  | { ok: false; error: { file: string; field: string; reason: string; message: string } };

export default function runTask(task: ThreadTask): ThreadOutcome {
  const started = performance.now();
  try {
    const result = runMaterializedOperation(task.op, { dataRoot: task.dataRoot, file: task.file });
    const ms = performance.now() - started;
    return { ok: true, metrics: result.metrics, blob: encodeResult(result), operation_yaml: dumpYaml(task.op), ms };
  } catch (err) {
    if (isConfigError(err)) return { ok: false, error: { file: err.file, field: err.field, reason: err.reason, message: err.message } };
    throw err;
  }
}
