import { ConfigError } from '../config/errors.js';
import { operationHash } from '../config/hash.js';
import type { MaterializedOperation } from '../config/materialize.js';
import { operationAt } from '../config/operation-at.js';
import { jobLimitMs } from '../intake/probe.js';
import { DEFAULT_OPERATION_MEMORY_MB, DEFAULT_OPERATION_SECONDS, type ParallelConfig } from '../config/schemas.js';
import type { Workforce } from '../config/schemas.js';
import type { SweepSpec } from '../config/sweep.js';
import { inSampleOperation, outOfSampleOperation } from '../config/walk-forward-operations.js';
import type { WalkForwardSpec } from '../config/walk-forward-spec.js';
import type { Combo } from '../config/grid.js';
import type { PluginSet } from '../engine/plugins/registry.js';
import type { BacktestResult } from '../engine/result.js';
import { runContainedJob, threadEntry } from '../user-plugins/containment.js';
import type { PluginBundle } from '../user-plugins/index.js';
import { workforceAt } from '../config/operation-at.js';
import type { SweepCode } from './plugin-code.js';
import { runMaterializedOperation } from './run-operation.js';

/*
 * What runs a stored sweep's plugin code again outside its backtest slots: a walk-forward window's
 * two runs of its chosen combination, the curves and trades the page and the API recompute, and the
 * operations `export` and `GET /api/operations/:hash` materialize. With user plugin code, it runs
 * in a contained thread (src/services/recompute-thread.ts) with the sweep's memory ceiling, no
 * environment, and each run bounded by its max_operation_seconds, so whatever the code does is a
 * ConfigError naming the plugin (docs/plugins.md, "How plugin code is contained"); built-ins only
 * run here.
 */

export type RecomputeTask =
  /** The full results of these operations of a sweep. */
  | { kind: 'results'; spec: SweepSpec; indices: number[] }
  /** These operations of a sweep, materialized. */
  | { kind: 'operations'; spec: SweepSpec; indices: number[] }
  /** Window k's in-sample and out-of-sample runs of combination idx. */
  | { kind: 'window'; spec: WalkForwardSpec; k: number; idx: number };

export interface WindowRun {
  hash: string;
  result: BacktestResult;
}

export interface WindowRuns {
  params: Combo;
  in_sample: WindowRun;
  out_of_sample: WindowRun;
}

interface Answers {
  results: BacktestResult[];
  operations: MaterializedOperation[];
  window: WindowRuns;
}

export type Answer<T extends RecomputeTask> = Answers[T['kind']];

/** Runs one step of a task, an operation of `workforce`: `doing` says what, for a message naming it and the plugins. */
export type Step = <T>(doing: string, workforce: Workforce, fn: () => T) => T;

export interface RecomputeJob {
  task: RecomputeTask;
  bundle: PluginBundle;
  dataRoot: string;
  seconds: number;
}

/** `task` with `code`: in a contained thread when the code has user plugins, else here. */
export async function recompute<T extends RecomputeTask>(task: T, code: SweepCode, dataRoot: string): Promise<Answer<T>> {
  if (!code.bundle) return computeTask(task, code.set, dataRoot, (_doing, _workforce, fn) => fn());
  const parallel: ParallelConfig = task.kind === 'window' ? task.spec.optimization.parallel : task.spec.parallel;
  const seconds = parallel.max_operation_seconds ?? DEFAULT_OPERATION_SECONDS;
  const steps = task.kind === 'window' ? 2 : task.indices.length;
  const job: RecomputeJob = { task, bundle: code.bundle, dataRoot, seconds };
  return runContainedJob<Answer<T>>(threadEntry(import.meta.url, 'recompute-thread'), job, {
    memoryMb: parallel.max_operation_memory_mb ?? DEFAULT_OPERATION_MEMORY_MB,
    limitMs: jobLimitMs(code.bundle, seconds) + steps * seconds * 1000,
    stage: { file: task.spec.file, who: 'plugin code', doing: 'its thread started' },
  });
}

/** What `task` computes with `plugins`, each operation's plugin code run through `step`. */
export function computeTask<T extends RecomputeTask>(task: T, plugins: PluginSet, dataRoot: string, step: Step): Answer<T> {
  const { spec } = task;
  const run = (op: MaterializedOperation) => runMaterializedOperation(op, { dataRoot, file: spec.file, plugins });
  switch (task.kind) {
    case 'results':
      return task.indices.map((idx) => step(`operation ${idx} was recomputed`, workforceAt(task.spec, idx), () => run(operationAt(task.spec, idx, plugins).op))) as Answer<T>;
    case 'operations':
      return task.indices.map((idx) => step(`operation ${idx} was materialized`, workforceAt(task.spec, idx), () => operationAt(task.spec, idx, plugins).op)) as Answer<T>;
    case 'window': {
      const { k, idx } = task;
      const workforce = workforceAt(task.spec.optimization, idx);
      const runOf = (op: MaterializedOperation): WindowRun => ({ hash: operationHash(op, plugins), result: run(op) });
      const inSample = step(`window ${k}'s in-sample run ran`, workforce, () => {
        const { op, params } = inSampleOperation(task.spec, k, idx, plugins);
        return { params, run: runOf(op) };
      });
      const outOfSample = step(`window ${k}'s out-of-sample run ran`, workforce, () => runOf(outOfSampleOperation(task.spec, k, idx, plugins).op));
      return { params: inSample.params, in_sample: inSample.run, out_of_sample: outOfSample } as Answer<T>;
    }
  }
}

/** The ConfigError of a step still running after `seconds`: `who` is the plugins it runs. */
export function stepTimedOut(file: string, who: string, seconds: number, doing: string): ConfigError {
  return new ConfigError(file, 'parallel_config.max_operation_seconds', `${who} did not finish within ${seconds} s while ${doing} (a plugin that never returns?)`);
}
