import { isConfigError } from '../config/errors.js';
import type { MaterializedOperation } from '../config/materialize.js';
import type { BacktestResult } from '../engine/result.js';
import { runMaterializedOperation } from './run-operation.js';

/*
 * Runs inside a pool thread. Errors lose their class when they cross a thread boundary, so a user
 * error comes back as data (file, field, reason) and only bugs are thrown.
 */

export interface ThreadTask {
  op: MaterializedOperation;
  file: string;
  dataRoot: string;
}

export type ThreadOutcome =
  | { ok: true; result: BacktestResult; ms: number }
  | { ok: false; error: { file: string; field: string; reason: string; message: string } };

export default function runTask(task: ThreadTask): ThreadOutcome {
  const started = performance.now();
  try {
    const result = runMaterializedOperation(task.op, { dataRoot: task.dataRoot, file: task.file });
    return { ok: true, result, ms: performance.now() - started };
  } catch (err) {
    if (isConfigError(err)) return { ok: false, error: { file: err.file, field: err.field, reason: err.reason, message: err.message } };
    throw err;
  }
}
