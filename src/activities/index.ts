import { ApplicationFailure, CancelledFailure, activityInfo, cancellationSignal, heartbeat, log } from '@temporalio/activity';
import { isUserError } from '../config/errors.js';
import { DEFAULT_OPERATION_SECONDS } from '../config/schemas.js';
import { indexRuns } from '../config/grid.js';
import { indexSpaceSize, paramNames } from '../config/sweep.js';
import type { SweepStatus } from '../store/types.js';
import type { RecordSweepStartInput, RecordSweepStartOutput, RunOperationsInput, RunOperationsOutput, ScanStoredInput, ScanStoredOutput } from '../workflows/types.js';
import { BatchFold } from './batch-fold.js';
import { operationCost } from './calibrate.js';
import { PendingWrites } from './pending-writes.js';
import { createSweepCodeSource } from '../services/plugin-code.js';
import type { ActivityDeps } from './deps.js';
import { computeSweepStatistics } from '../services/statistics.js';
import { storedRanges } from './stored-ranges.js';
import { refuseAnotherSweep, requireSubmittedSweep, requireSweepInStore } from './sweep-identity.js';
import { createWalkForwardActivities } from './walk-forward.js';

/*
 * Activities act: they own the store, the data and the CPU. One `runOperations` call runs a pack of
 * operations of a sweep: the pool hashes the pack, operations already done in the store (in this or
 * any sweep) are reused in one lookup, the rest run in the thread pool in batches, and every batch is
 * written as it finishes, so a retry after a crash only redoes what was not stored. What is stored
 * per operation, and what is recomputed instead, is in docs/store.md.
 */

export type { ActivityDeps } from './deps.js';

/** Written to the store at least this often while an activity runs. */
const FLUSH_EVERY_MS = 500;
/**
 * Heartbeat cadence of a pack. The worker sends them on at most once a second (worker.ts), and a
 * cancellation comes back as the answer to one, so a paused pack hears of it within about a second.
 */
const HEARTBEAT_EVERY_MS = 250;
/** Batches per backtest slot a pack is cut into: how much of a pack still runs after it is cancelled. */
const BATCHES_PER_SLOT = 4;
const FLUSH_EVERY_OPS = 1_000;
/** Operations per pool task at most: a task's results are written together, so this bounds redone work too. */
const MAX_BATCH = 128;

export function createActivities(deps: ActivityDeps) {
  const { store, pool, dataRoot } = deps;
  const sweepCode = createSweepCodeSource(store);
  /** Sweeps this worker's store is known to have (requireSweepInStore). */
  const knownSweeps = new Set<string>();

  async function scanStored(input: ScanStoredInput): Promise<ScanStoredOutput> {
    const { spec, sweep_id, from } = input;
    const to = Math.min(input.to, indexSpaceSize(spec));
    const done = await store.doneIndices(sweep_id, from, to);
    const scanned = storedRanges(spec, done, from, to);
    const inRange: Array<{ field: string; op: '>=' | '<'; value: number }> = [
      { field: 'idx', op: '>=', value: from },
      { field: 'idx', op: '<', value: scanned.to },
    ];
    const k = input.top_k ?? 20;
    const best = await store.queryResults(sweep_id, {
      sort: spec.primary_metric,
      order: 'desc',
      limit: k,
      filter: spec.min_trades > 0 ? [...inRange, { field: 'total_trades', op: '>=', value: spec.min_trades }] : inRange,
    });
    const fold = new BatchFold(spec, k);
    for (const row of best.rows) fold.add({ idx: row.idx, hash: row.hash, status: 'done', value: row.metrics?.[spec.primary_metric] ?? null, total_trades: row.metrics?.total_trades ?? null, reused: true, error: null });
    let count = 0;
    for (const idx of done) if (idx < scanned.to) count++;
    return { ...fold.outcome(), done: count, reused: count, to: scanned.to, skip: scanned.skip };
  }

  /** The sweep's row and status, how much of it is stored, and the first scan when asked for. */
  async function recordStart(input: RecordSweepStartInput): Promise<RecordSweepStartOutput> {
    await requireSubmittedSweep(store, input.sweep_id);
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
    // A sweep carried on by code of another results version recomputes what the old code stored (docs/store.md).
    await store.dropOtherResultsVersions(input.sweep_id);
    const { total } = await store.queryResults(input.sweep_id, { sort: 'idx', limit: 1, filter: [{ field: 'status', op: '=', value: 'done' }] });
    if (total === 0 || !input.first_scan) return { stored: total };
    const { to, top_k } = input.first_scan;
    return { stored: total, scan: await scanStored({ sweep_id: input.sweep_id, spec: input.spec, from: 0, to, top_k }) };
  }

  async function calibrate(spec: RecordSweepStartInput['spec'], idx: number): Promise<number | null> {
    const code = await sweepCode(spec.plugin_bundle);
    return operationCost(pool, { spec, idx, dataRoot, plugins: code.bundle }, cancellationSignal());
  }

  return {
    ...createWalkForwardActivities(deps),

    /**
     * Records the sweep; `stored` counts operations it already has done (a restarted sweep), and
     * then the first span is scanned at once when asked, saving the workflow a round trip. With
     * `calibrate`, also what that operation costs (src/activities/calibrate.ts), measured in a
     * backtest slot while this thread does the bookkeeping.
     */
    async recordSweepStart(input: RecordSweepStartInput): Promise<RecordSweepStartOutput> {
      // A measurement that fails leaves the sweep to measure its first packs; their own runs say why.
      const cost = input.calibrate === undefined ? Promise.resolve(null) : calibrate(input.spec, input.calibrate).catch(() => null);
      const recorded = await recordStart(input);
      const op_ms = await cost;
      return op_ms === null ? recorded : { ...recorded, op_ms };
    },

    async recordSweepEnd(input: { sweep_id: string; status: SweepStatus }): Promise<void> {
      await store.refreshSweepCounts(input.sweep_id);
      await store.setSweepStatus(input.sweep_id, input.status);
    },

    /**
     * The robustness statistics of an optimization (src/services/statistics.ts), stored with the
     * sweep; returns the two headline figures (null when not computable) for the workflow's history.
     */
    async computeStatistics(input: { sweep_id: string }): Promise<{ pbo: number | null; dsr: number | null }> {
      try {
        const statistics = await computeSweepStatistics({ store, dataRoot, progress: (stage) => heartbeat({ stage }) }, input.sweep_id);
        await store.saveStatistics(statistics);
        return { pbo: 'reason' in statistics.pbo ? null : statistics.pbo.pbo, dsr: 'reason' in statistics.dsr ? null : statistics.dsr.probability };
      } catch (err) {
        if (isUserError(err)) throw ApplicationFailure.create({ type: err.name, message: err.message, nonRetryable: true });
        throw err;
      }
    },

    /** What a restarted sweep already has stored in [from, to): counts, its best, and the ranges to skip. */
    scanStored,

    async runOperations(input: RunOperationsInput): Promise<RunOperationsOutput> {
      const started = performance.now();
      const { spec, sweep_id, indices } = input;
      await requireSweepInStore(store, sweep_id, knownSweeps);
      const signal = cancellationSignal();
      const fold = new BatchFold(spec, input.top_k ?? 20);
      const pending = new PendingWrites(store, fold, spec.primary_metric, deps.onExecuted);
      // Heartbeats go out from the start (hashing may wait for a busy slot) and while no batch
      // finishes: one operation may run up to max_operation_seconds, longer than the heartbeat
      // timeout (the SDK throttles what it sends). They are also how a cancellation reaches this activity.
      const beat = setInterval(() => heartbeat({ stored: pending.stored }), HEARTBEAT_EVERY_MS);
      try {
        const code = await sweepCode(spec.plugin_bundle);
        // The time limit guards against user code that never returns (docs/plugins.md), so such sweeps
        // run batches of one; built-in operations always finish, and a long one must not be cut off.
        const timeoutMs = spec.plugin_bundle ? (spec.parallel.max_operation_seconds ?? DEFAULT_OPERATION_SECONDS) * 1000 : undefined;
        const hashed = await pool.hashOperations({ spec, indices, plugins: code.bundle }, signal);
        // The sweep's code does not load (docs/plugins.md, "How plugin code is contained"): no operation can run.
        if (!hashed.ok) throw ApplicationFailure.create({ type: 'ConfigError', message: hashed.error.message, nonRetryable: true });
        const { hashes, params } = hashed;
        // Operations done in any sweep are copied into this one inside the database, in one go.
        const copied = await store.copyDone(
          sweep_id,
          indices.map((idx, i) => ({ idx, hash: hashes[i]!, params: params[i]! })),
          spec.primary_metric,
        );
        pending.reused(copied);
        const reused = new Set(copied.map((c) => c.idx));
        const toRun: number[] = [];
        indices.forEach((idx, i) => {
          if (!reused.has(idx)) toRun.push(i);
        });

        // Several batches per backtest slot, handed out one at a time per slot: a cancelled pack (a
        // paused sweep, docs/deploy.md) stops at its next batch boundary, a fraction of its work away.
        const size = timeoutMs === undefined ? Math.max(1, Math.min(MAX_BATCH, Math.ceil(toRun.length / (pool.threads * BATCHES_PER_SLOT)))) : 1;
        const batches: number[][] = [];
        for (let i = 0; i < toRun.length; i += size) batches.push(toRun.slice(i, i + size));
        let taken = 0;
        const runBatch = async (batch: number[]): Promise<void> => {
          // No cancellation signal here: a batch a thread has started finishes and is stored.
          const outcome = await pool.runOperations({ spec, indices: batch.map((i) => indices[i]!), dataRoot, plugins: code.bundle }, { timeoutMs });
          // The data is missing or changed on this worker: every operation would fail the same way.
          if (!outcome.ok) throw ApplicationFailure.create({ type: 'ConfigError', message: outcome.error.message, nonRetryable: true });
          outcome.operations.forEach((op, k) => {
            const i = batch[k]!;
            const identity = { sweep_id, idx: op.idx, hash: hashes[i]!, params: params[i]! };
            if (op.ok) pending.add({ ...identity, status: 'done', error: null, metrics: op.metrics, duration_ms: Math.round(op.ms * 1000) / 1000, blocks: op.blocks });
            else pending.add({ ...identity, status: 'failed', error: op.error.message, metrics: null, duration_ms: 0, blocks: null });
          });
          if (pending.size >= FLUSH_EVERY_OPS || pending.age >= FLUSH_EVERY_MS) await pending.flush();
        };
        await Promise.all(
          Array.from({ length: Math.min(pool.threads, batches.length) }, async () => {
            while (taken < batches.length && !signal.aborted) await runBatch(batches[taken++]!);
          }),
        );
        await pending.flush();
        if (activityInfo().attempt > 1) log.info('retried activity finished', { sweep_id, indices: indices.length, executed: pending.executed });
        const outcome = { ...fold.outcome(), elapsed_ms: performance.now() - started, executed: pending.executed };
        if (taken === batches.length) return outcome;
        // Cancelled (the sweep paused or cancelled, the worker shutting down) with batches not
        // started: what ran is stored; the rest goes back to a workflow that re-dispatches it.
        if (!input.hand_back) throw new CancelledFailure('pack cancelled before all its batches ran');
        return { ...outcome, handed_back: indexRuns(batches.slice(taken).flatMap((batch) => batch.map((i) => indices[i]!))) };
      } finally {
        clearInterval(beat);
      }
    },
  };
}
