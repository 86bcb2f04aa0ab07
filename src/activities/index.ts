import { setMaxListeners } from 'node:events';
import { ApplicationFailure, activityInfo, cancellationSignal, heartbeat, log } from '@temporalio/activity';
import { isConfigError } from '../config/errors.js';
import { operationHash } from '../config/hash.js';
import { operationAt } from '../config/operation-at.js';
import { DEFAULT_OPERATION_SECONDS } from '../config/schemas.js';
import { paramNames, type SweepSpec } from '../config/sweep.js';
import type { Metrics } from '../engine/result.js';
import type { EncodedResult, OperationRecord, Store, SweepStatus } from '../store/types.js';
import type { OperationSummary, RunOperationsInput, RunOperationsOutput } from '../workflows/types.js';
import { createSweepCodeSource } from './plugin-code.js';
import type { BacktestPool } from './pool.js';
import { refuseAnotherSweep } from './sweep-identity.js';
import { createWalkForwardActivities } from './walk-forward.js';

/*
 * Activities act: they own the store, the data and the CPU. One `runOperations` call runs a pack of
 * operations of a sweep: results already in the store (from this or any sweep) are reused, the rest
 * run in the thread pool, and every finished operation is written as it finishes, so a retry after
 * a crash only redoes what was not stored.
 */

export interface ActivityDeps {
  store: Store;
  pool: BacktestPool;
  dataRoot: string;
  /** Called with engine executions as their results are stored (tests and drills count them). */
  onExecuted?: (count: number) => void;
}

/** Written to the store at least this often while an activity runs (also its heartbeat cadence). */
const FLUSH_EVERY_MS = 500;
const FLUSH_EVERY_OPS = 200;

export function createActivities(deps: ActivityDeps) {
  const { store, pool, dataRoot } = deps;
  const sweepCode = createSweepCodeSource(store);

  return {
    ...createWalkForwardActivities(deps),

    async recordSweepStart(input: { sweep_id: string; spec: SweepSpec; total: number }): Promise<void> {
      await refuseAnotherSweep(store, input.sweep_id, input.spec);
      await store.createSweep({
        id: input.sweep_id,
        kind: input.spec.kind,
        name: input.spec.name,
        total: input.total,
        primary_metric: input.spec.primary_metric,
        spec: input.spec,
        param_names: paramNames(input.spec),
      });
      await store.setSweepStatus(input.sweep_id, 'running');
    },

    async recordSweepEnd(input: { sweep_id: string; status: SweepStatus }): Promise<void> {
      await store.refreshSweepCounts(input.sweep_id);
      await store.setSweepStatus(input.sweep_id, input.status);
    },

    async runOperations(input: RunOperationsInput): Promise<RunOperationsOutput> {
      const started = performance.now();
      const { spec, sweep_id } = input;
      const file = spec.file;
      const code = await sweepCode(spec.plugin_bundle);
      const items = input.indices.map((idx) => {
        const { op, params } = operationAt(spec, idx, code.set);
        return { idx, op, params, hash: operationHash(op, code.set) };
      });
      // The time limit guards against user code that never returns (docs/plugins.md); built-in
      // operations always finish, and a long one on a huge series must not be cut off.
      const timeoutMs = spec.plugin_bundle ? (spec.parallel.max_operation_seconds ?? DEFAULT_OPERATION_SECONDS) * 1000 : undefined;

      const summaries: OperationSummary[] = [];
      let results: EncodedResult[] = [];
      let records: OperationRecord[] = [];
      let lastFlush = performance.now();
      let executed = 0;
      let executedUnreported = 0;
      const flush = async (): Promise<void> => {
        const [r, o, n] = [results, records, executedUnreported];
        results = [];
        records = [];
        executedUnreported = 0;
        lastFlush = performance.now();
        await store.saveEncodedResults(r);
        if (o.length) await store.recordOperations(o);
        // Reported with the results they produced, so a crash after this flush still counts them.
        if (n) deps.onExecuted?.(n);
        heartbeat({ stored: summaries.length });
      };
      const finish = (item: (typeof items)[number], outcome: { metrics: Metrics; ms: number; reused: boolean } | { error: string }): void => {
        const ok = 'metrics' in outcome;
        records.push({
          sweep_id,
          idx: item.idx,
          hash: item.hash,
          params: item.params,
          status: ok ? 'done' : 'failed',
          error: ok ? null : outcome.error,
          metrics: ok ? outcome.metrics : null,
          duration_ms: ok ? Math.round(outcome.ms * 1000) / 1000 : 0,
        });
        summaries.push({
          idx: item.idx,
          hash: item.hash,
          status: ok ? 'done' : 'failed',
          value: ok ? outcome.metrics[spec.primary_metric] : null,
          total_trades: ok ? outcome.metrics.total_trades : null,
          reused: ok && outcome.reused,
          error: ok ? null : outcome.error,
        });
      };

      const known = await store.findResults(items.map((i) => i.hash));
      const toRun = items.filter((item) => {
        const stored = known.get(item.hash);
        if (stored) finish(item, { metrics: stored.result.metrics, ms: 0, reused: true });
        return !stored;
      });

      const signal = cancellationSignal();
      // Every pool task of this activity listens to the one cancellation signal.
      setMaxListeners(0, signal);
      // Heartbeats also go out while no operation finishes: one may run up to max_operation_seconds,
      // longer than the heartbeat timeout (the SDK throttles what it sends).
      const beat = setInterval(() => heartbeat({ stored: summaries.length }), FLUSH_EVERY_MS);
      await Promise.all(
        toRun.map(async (item) => {
          const outcome = await pool.run({ op: item.op, file, dataRoot, plugins: code.bundle }, { signal, timeoutMs });
          if (outcome.ok) {
            executed++;
            executedUnreported++;
            results.push({ hash: item.hash, operation_yaml: outcome.operation_yaml, blob: outcome.blob });
            finish(item, { metrics: outcome.metrics, ms: outcome.ms, reused: false });
          } else if (outcome.error.field.startsWith('data_sources')) {
            // The data is missing or changed on this worker: every operation would fail the same way.
            throw ApplicationFailure.create({ type: 'ConfigError', message: outcome.error.message, nonRetryable: true });
          } else {
            finish(item, { error: outcome.error.message });
          }
          if (records.length >= FLUSH_EVERY_OPS || performance.now() - lastFlush >= FLUSH_EVERY_MS) await flush();
        }),
      )
        .catch((err: unknown) => {
          if (isConfigError(err)) throw ApplicationFailure.create({ type: 'ConfigError', message: err.message, nonRetryable: true });
          throw err;
        })
        .finally(() => clearInterval(beat));
      await flush();
      if (activityInfo().attempt > 1) log.info('retried activity finished', { sweep_id, indices: input.indices.length, executed });
      summaries.sort((a, b) => a.idx - b.idx);
      return { summaries, elapsed_ms: performance.now() - started, executed };
    },
  };
}
