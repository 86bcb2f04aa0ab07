import { isConfigError, type ConfigError } from '../config/errors.js';
import { comboAt, type Combo } from '../config/grid.js';
import { sweepHasher } from '../config/hash.js';
import { operationAt } from '../config/operation-at.js';
import type { SweepSpec } from '../config/sweep.js';
import { blockReturns } from '../engine/block-returns.js';
import type { Metrics } from '../engine/result.js';
import { encodeBlocks, specBlocks } from '../store/blocks-codec.js';
import { loadOperationBars, runOnBars } from './run-operation.js';

/*
 * Runs inside a pool thread, a batch of one sweep's operations per task, so the activity's thread
 * only moves compact results into the store (docs/store.md). A task derives what it needs from the
 * spec and the indices itself: the hashes (derived once per task, src/config/hash.ts), and for a
 * run the bars (loaded once per task), each operation, its metrics and its block returns; curves
 * and trades are not kept. Errors lose their class when they cross a thread boundary, so user
 * errors come back as data and only bugs throw.
 */

export interface HashTask {
  spec: SweepSpec;
  indices: number[];
}

export interface HashOutcome {
  hashes: string[];
  params: Combo[];
}

export interface RunTask {
  spec: SweepSpec;
  indices: number[];
  dataRoot: string;
}

export interface UserError {
  file: string;
  field: string;
  reason: string;
  message: string;
}

export type OperationOutcome = { idx: number; ok: true; metrics: Metrics; blocks: Uint8Array; ms: number } | { idx: number; ok: false; error: UserError };

/** Per operation, or for the whole batch when its data cannot be loaded (every operation would fail alike). */
export type RunOutcome = { ok: true; operations: OperationOutcome[] } | { ok: false; error: UserError };

export function hashOperations(task: HashTask): HashOutcome {
  const hasher = sweepHasher(task.spec);
  return {
    hashes: task.indices.map((idx) => hasher.hash(idx)),
    // A combination's params need no materializing; a variant test has a handful of operations.
    params: task.indices.map((idx) => (task.spec.kind === 'optimization' ? comboAt(task.spec.grid, idx) : operationAt(task.spec, idx).params)),
  };
}

export function runOperations(task: RunTask): RunOutcome {
  const { spec, indices, dataRoot } = task;
  const blocks = specBlocks(spec);
  let bars;
  try {
    bars = loadOperationBars(operationAt(spec, indices[0]!).op, { dataRoot, file: spec.file });
  } catch (err) {
    if (isConfigError(err)) return { ok: false, error: userError(err) };
    throw err;
  }
  const operations = indices.map((idx): OperationOutcome => {
    const started = performance.now();
    try {
      const result = runOnBars(operationAt(spec, idx).op, bars);
      return { idx, ok: true, metrics: result.metrics, blocks: encodeBlocks(blockReturns(result.equity.v, blocks)), ms: performance.now() - started };
    } catch (err) {
      if (isConfigError(err)) return { idx, ok: false, error: userError(err) };
      throw err;
    }
  });
  return { ok: true, operations };
}

function userError(err: ConfigError): UserError {
  return { file: err.file, field: err.field, reason: err.reason, message: err.message };
}
