import {
  ActivityCancellationType,
  ActivityFailure,
  CancellationScope,
  condition,
  continueAsNew,
  isCancellation,
  log,
  patched,
  proxyActivities,
  setCurrentDetails,
  allHandlersFinished,
  workflowInfo,
} from '@temporalio/workflow';
import type { createActivities } from '../activities/index.js';
import { comboAt, indexRuns } from '../config/grid.js';
import { indexSpaceSize, operationCount, type SweepSpec } from '../config/sweep.js';
import { currentDetails, packSummary, sweepHeadline } from './details.js';
import { sweepLifecycle } from './lifecycle.js';
import { firstPack, measure, nextPack, windowNow, type PackingRules } from './packing.js';
import {
  admissibility,
  calibrationLook,
  firstAdmissible,
  handBack,
  hasRedo,
  scanAhead,
  scanBudget,
  scanDue,
  scanned,
  SCAN_SPAN,
  startScanning,
  takeBatch,
  takeRedo,
  yieldTask,
} from './scanning.js';
import type {
  BatchOutcome,
  RankedOperation,
  RecordSweepStartOutput,
  RunOperationsOutput,
  SweepCursor,
  SweepInput,
  SweepOutcome,
} from './types.js';

/*
 * The parallel runner as one durable loop shared by both sweep kinds: walk the index space
 * (./scanning.ts), pack admissible indices into activities (./packing.ts), keep at most
 * `max_in_flight` of them running, fold their summaries into counts and a top-K, and continue as new
 * (after draining) when the history grows. Its phase, pause, status and end are ./lifecycle.ts.
 */

type Activities = ReturnType<typeof createActivities>;

const MAX_ERRORS_KEPT = 10;
/**
 * How long a pack may go without a heartbeat before Temporal gives it to another worker: what a lost
 * worker costs the sweep. Packs heartbeat every 250 ms and the worker sends one on once a second;
 * 5 s leaves room for event-loop stalls ten times the longest measured on a busy machine (docs/deploy.md),
 * and a pack taken for lost while alive only repeats what it had not stored.
 */
const PACK_HEARTBEAT_TIMEOUT_S = 5;

/**
 * The rules a run follows, decided once at its top from the replay patches (docs/deploy.md, "Patches"):
 * the newest for sweeps started by this code, the older ones where a history recorded before them replays.
 * The patches of the start record are asked where the start is (see runSweep), as they always were.
 */
interface SweepPolicy {
  heartbeatTimeoutS: number;
  packing: PackingRules;
  /** `where-budget-by-cost`: `where` tested within a budget of evaluations per task, not of indices. */
  whereBudgetByCost: boolean;
  /** `pause-stops-packs`: pause cancels the packs in flight, which store what they finished and hand the rest back. */
  pauseStopsPacks: boolean;
}

/** The order of these calls is the order of the patch markers in every history: keep it. */
function sweepPolicy(): SweepPolicy {
  const heartbeatTimeoutS = patched('pack-heartbeat-5s') ? PACK_HEARTBEAT_TIMEOUT_S : 30;
  const measureReused = patched('speed-batched-packing');
  const balanceOverTotal = patched('speed-pack-by-total');
  const sized = patched('speed-fewer-packs');
  return {
    heartbeatTimeoutS,
    packing: { measureReused, balanceOverTotal, sized },
    whereBudgetByCost: patched('where-budget-by-cost'),
    pauseStopsPacks: patched('pause-stops-packs'),
  };
}

/** A pack's operations: the fixed `operations_per_activity`, or sized from measured cost. */
function packNow(spec: SweepSpec, state: SweepCursor, rules: PackingRules): number {
  state.pack = nextPack(spec.parallel.operations_per_activity, state, rules);
  return state.pack;
}

/**
 * The current details the Temporal UI shows (docs/cli.md, "Watching sweeps in the Temporal UI"). They live in workflow memory and reach
 * the UI only through the SDK's metadata query, never the history, so they are rewritten on every change.
 */
function showDetails(spec: SweepSpec, state: SweepCursor, phase: string, running: number): void {
  setCurrentDetails(
    currentDetails({
      headline: sweepHeadline(spec),
      phase,
      total: state.total,
      done: state.done,
      failed: state.failed,
      running,
      started_at: state.started_at,
      now: Date.now(),
      generation: state.generation,
      paused: state.paused,
      paused_ms: state.paused_ms ?? 0,
      best: state.top[0] ?? null,
    }),
  );
}

function shouldContinueAsNew(): boolean {
  return workflowInfo().continueAsNewSuggested;
}

/**
 * A pack's outcome as counts. Histories from before activities reported counts carry one summary per
 * operation instead; replaying them counts those.
 */
function countsOf(outcome: BatchOutcome): { done: number; failed: number; reused: number } {
  if (outcome.done !== undefined) return outcome;
  const done = outcome.summaries.filter((s) => s.status === 'done');
  return { done: done.length, failed: outcome.summaries.length - done.length, reused: done.filter((s) => s.reused).length };
}

function paramsAt(spec: SweepSpec, idx: number): RankedOperation['params'] {
  return spec.kind === 'optimization' ? comboAt(spec.grid, idx) : { variant: spec.variants[idx]!.name };
}

/** Inserts into the top-K list, best first; ties keep the lower index first (stable, deterministic). */
function rank(top: RankedOperation[], entry: RankedOperation, k: number): RankedOperation[] {
  if (top.length >= k && entry.value <= top[top.length - 1]!.value) return top;
  const out = top.filter((t) => t.idx !== entry.idx);
  let at = out.findIndex((t) => entry.value > t.value || (entry.value === t.value && entry.idx < t.idx));
  if (at === -1) at = out.length;
  out.splice(at, 0, entry);
  return out.slice(0, k);
}

function describe(err: unknown): string {
  if (err instanceof ActivityFailure && err.cause) return err.cause.message;
  return err instanceof Error ? err.message : String(err);
}

export async function runSweep(input: SweepInput): Promise<SweepOutcome> {
  const { spec } = input;
  const info = workflowInfo();
  const sweepId = info.workflowId;
  const policy = sweepPolicy();
  const rules = policy.packing;
  const options = { heartbeat_timeout_s: policy.heartbeatTimeoutS, top_k: 20, ...input.options };
  const admissible = admissibility(spec);
  const space = indexSpaceSize(spec);
  const state: SweepCursor = input.cursor ?? {
    next: 0,
    total: operationCount(spec),
    done: 0,
    failed: 0,
    reused: 0,
    executed: 0,
    top: [],
    errors: [],
    paused: false,
    pack: 0,
    op_ms: null,
    started_at: info.startTime.getTime(),
    generation: 0,
  };

  if (state.pack === 0) state.pack = firstPack(spec.parallel.operations_per_activity, state.total, spec.parallel.max_in_flight, rules);

  const { runOperations } = proxyActivities<Activities>({
    // A dead worker is noticed by the heartbeat timeout; this only bounds a pack that hangs while
    // heartbeating, and must leave room for large fixed packs of slow backtests.
    startToCloseTimeout: '24 hours',
    heartbeatTimeout: `${options.heartbeat_timeout_s} seconds`,
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 10 },
  });
  const { recordSweepStart, recordSweepEnd, scanStored } = proxyActivities<Activities>({
    summary: "results store: the sweep's row and status",
    startToCloseTimeout: '1 minute',
    retry: { maximumInterval: '10 seconds' },
  });

  let running = 0;
  let failure: unknown = null;
  /** The scopes of the packs in flight, which a pause cancels. */
  const packs = new Set<CancellationScope>();
  const life = sweepLifecycle({
    clock: state,
    figures: () => ({
      sweep_id: sweepId,
      kind: spec.kind,
      name: spec.name,
      primary_metric: spec.primary_metric,
      space,
      total: state.total,
      done: state.done,
      failed: state.failed,
      reused: state.reused,
      executed: state.executed,
      running,
      pack: state.pack,
      started_at: state.started_at,
      generation: state.generation,
      best: state.top[0] ?? null,
      top: state.top,
      errors: state.errors,
    }),
    details: (shown) => showDetails(spec, state, shown, running),
    recordEnd: (status) => recordSweepEnd({ sweep_id: sweepId, status }),
    // Packs in flight hear of it with their next heartbeat and stop at their next batch boundary.
    onPause: () => {
      if (policy.pauseStopsPacks) for (const scope of packs) scope.cancel();
    },
  });
  life.show();

  const fold = (outcome: BatchOutcome): void => {
    const counts = countsOf(outcome);
    state.done += counts.done;
    state.failed += counts.failed;
    state.reused += counts.reused;
    for (const s of outcome.summaries) {
      if (s.status === 'failed') {
        if (s.error && state.errors.length < MAX_ERRORS_KEPT && !state.errors.includes(s.error)) state.errors.push(s.error);
      } else if (s.value !== null && (s.total_trades ?? 0) >= spec.min_trades) {
        state.top = rank(state.top, { idx: s.idx, hash: s.hash, params: paramsAt(spec, s.idx), value: s.value, total_trades: s.total_trades }, options.top_k);
      }
    }
  };

  const dispatch = async (indices: number[]): Promise<void> => {
    running += indices.length;
    life.show();
    const scope = policy.pauseStopsPacks ? new CancellationScope() : null;
    try {
      const summary = packSummary(spec, indices);
      const pack = { sweep_id: sweepId, spec, indices, top_k: options.top_k };
      let out: RunOperationsOutput;
      if (scope) {
        packs.add(scope);
        // Waiting for the cancelled activity's answer is what brings back what it finished.
        out = await scope.run(() =>
          runOperations.executeWithOptions({ summary, cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED }, [{ ...pack, hand_back: true }]),
        );
      } else {
        out = await runOperations.executeWithOptions({ summary }, [pack]);
      }
      fold(out);
      state.executed += out.executed;
      const back = out.handed_back ?? [];
      if (back.length) handBack(state, back);
      const ran = indices.length - back.reduce((n, [a, b]) => n + b - a, 0);
      if (ran > 0) state.op_ms = measure(state.op_ms, out, ran, rules);
    } catch (err) {
      // A pack cancelled before it started or said what it finished (a pause): all of it is run again.
      if (scope && isCancellation(err)) handBack(state, indexRuns(indices));
      // Otherwise a cancelled activity means the sweep is being cancelled: the main loop sees that
      // itself, and a rejection here would be unhandled. An activity that failed for good (after its
      // retries, or non-retryably for bad configuration) fails the sweep; what finished is stored for `resume`.
      else if (!failure && !isCancellation(err)) failure = err;
    } finally {
      if (scope) packs.delete(scope);
      running -= indices.length;
      life.show();
    }
  };

  try {
    const scan = scanBudget(admissible, policy.whereBudgetByCost);
    if (!input.cursor) {
      const started = await life.start(state.total, () => {
        // The first span's scan comes with the start record; replay of sweeps started before that
        // scans it in an activity of its own.
        const firstScan = patched('speed-start-scan') ? { to: Math.min(space, SCAN_SPAN), top_k: options.top_k } : undefined;
        // Automatic packing gets the cost of an operation with the start record, so its first packs are
        // sized like the rest; replay of sweeps started before measures a first wave instead.
        const calibrate =
          spec.parallel.operations_per_activity === 'auto' && patched('speed-calibrated-start')
            ? firstAdmissible(state.next, space, admissible, calibrationLook(scan, policy.whereBudgetByCost))
            : undefined;
        // Histories from before the store counted its operations hold no result here (replay: no scan).
        return recordSweepStart({ sweep_id: sweepId, spec, total: state.total, first_scan: firstScan, calibrate }) as Promise<RecordSweepStartOutput | undefined>;
      });
      if (started?.op_ms !== undefined && state.op_ms === null) state.op_ms = started.op_ms;
      if ((started?.stored ?? 0) > 0) {
        startScanning(state);
        if (started?.scan) fold(scanned(state, space, started.scan));
      }
    }
    const inFlight = new Set<Promise<void>>();
    const window = spec.parallel.max_in_flight;

    while ((state.next < space || hasRedo(state)) && !failure) {
      await condition(() => (!state.paused && inFlight.size < windowNow(spec.parallel.operations_per_activity, state.op_ms, window, rules)) || failure !== null);
      if (failure || shouldContinueAsNew()) break;
      if (hasRedo(state)) {
        const redo = takeRedo(state, packNow(spec, state, rules));
        const p: Promise<void> = dispatch(redo).finally(() => inFlight.delete(p));
        inFlight.add(p);
        continue;
      }
      if (scanDue(state)) {
        fold(
          await scanAhead(state, space, (from, to) =>
            scanStored.executeWithOptions({ summary: `results store: which of indices ${from}–${to - 1} are stored` }, [{ sweep_id: sweepId, spec, from, to, top_k: options.top_k }]),
          ),
        );
        continue;
      }
      const indices = takeBatch(state, space, admissible, packNow(spec, state, rules), scan);
      if (indices.length === 0) {
        // Out of `where` budget: end this workflow task first. Otherwise nothing is left before the
        // scanned part ends: scan on (the loop ends when the space does).
        if (scan.left <= 0) await yieldTask(scan);
        continue;
      }
      const p: Promise<void> = dispatch(indices).finally(() => inFlight.delete(p));
      inFlight.add(p);
    }

    life.enter('draining');
    await Promise.all(inFlight);

    if (failure) {
      return await life.fail('SweepFailed', `sweep ${sweepId} failed after ${state.done} of ${state.total} operations: ${describe(failure)}`, failure);
    }

    // Packs handed back while draining (a pause) are run by the next run, which starts paused.
    if (state.next < space || hasRedo(state)) {
      await condition(allHandlersFinished);
      state.generation++;
      life.show('continued as new');
      log.info('sweep continues as new', { sweepId, next: state.next, done: state.done });
      return await continueAsNew<(input: SweepInput) => Promise<SweepOutcome>>({ spec, cursor: state, options: input.options });
    }

    await life.complete();
    return {
      id: sweepId,
      status: 'completed',
      total: state.total,
      completed: state.done,
      failed: state.failed,
      executed: state.executed,
      reused: state.reused,
      best: state.top[0] ?? null,
    };
  } catch (err) {
    // Recorded even though this scope is cancelled; then Temporal closes the run.
    return await life.cancelled(err);
  }
}
