import {
  ActivityCancellationType,
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  condition,
  continueAsNew,
  isCancellation,
  log,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  sleep,
  upsertSearchAttributes,
  allHandlersFinished,
  workflowInfo,
} from '@temporalio/workflow';
import type { createActivities } from '../activities/index.js';
import { comboAt, comboWalker, indexRuns } from '../config/grid.js';
import { compileWhere } from '../config/expression.js';
import { indexSpaceSize, operationCount, type SweepSpec } from '../config/sweep.js';
import { sweepStatusKey, sweepTotalKey } from '../temporal/search-attributes.js';
import type { SweepStatus } from '../store/types.js';
import { currentDetails, packSummary, sweepHeadline } from './details.js';
import {
  pauseSignal,
  progressQuery,
  resumeSignal,
  type BatchOutcome,
  type RankedOperation,
  type RecordSweepStartOutput,
  type RunOperationsOutput,
  type ScanStoredOutput,
  type SweepCursor,
  type SweepInput,
  type SweepOutcome,
  type SweepPhase,
} from './types.js';

/*
 * The parallel runner as one durable loop shared by both sweep kinds: walk the index space,
 * pack admissible indices into activities, keep at most `max_in_flight` of them running, fold their
 * summaries into counts and a top-K, and continue as new (after draining) when the history grows.
 */

type Activities = ReturnType<typeof createActivities>;

/** Activity cost the automatic packing aims for: long enough that orchestration is noise. */
const TARGET_ACTIVITY_MS = 1_000;
/** …and at least this long, when keeping MIN_ACTIVITIES_LEFT would make activities shorter (see nextPack). */
const MIN_ACTIVITY_MS = 250;
/** Operations per activity before anything has been measured: the sweep spread over two windows. */
const MAX_FIRST_PACK = 32;
/**
 * …and with packs sized by MIN_ACTIVITY_MS, where a first pack's cost also decides how large the
 * next ones are: an activity's fixed cost (~10 ms) spread over too few operations reads as an
 * expensive operation and keeps packs small.
 */
const MAX_FIRST_PACK_SIZED = 64;
const MAX_PACK = 1_000;
/** Keep at least this many activities for the rest of the sweep, so all worker slots stay busy. */
const MIN_ACTIVITIES_LEFT = 16;
const MAX_ERRORS_KEPT = 10;
/**
 * Indices one workflow task may test against `where` before it yields (a 1 ms timer), so a sparse
 * admissible set — 10,000,000 combinations of which one passes — is walked over many short tasks
 * instead of one that outlives the task deadline (docs/formats.md). About 0.05–0.1 s of work.
 * Replay of sweeps started before WHERE_EVALS_PER_TASK keeps this count.
 */
const SCAN_PER_TASK = 250_000;
/**
 * The same as a budget of `where` node evaluations (one per node of the expression, and one for the
 * step to the next combination), so that a long expression yields as often as its cost asks: one
 * task holding 250,000 tests of a 3,600-character expression ran for 5–10 s, and the SDK failed
 * every attempt of it as a deadlock (docs/formats.md). `fast < slow` still tests 250,000.
 */
const WHERE_EVALS_PER_TASK = 1_000_000;
/**
 * How long a pack may go without a heartbeat before Temporal gives it to another worker: what a lost
 * worker costs the sweep. Packs heartbeat every 250 ms and the worker sends one on once a second;
 * 5 s leaves room for event-loop stalls ten times the longest measured on a busy machine (docs/deploy.md),
 * and a pack taken for lost while alive only repeats what it had not stored.
 */
const PACK_HEARTBEAT_TIMEOUT_S = 5;

export async function runSweep(input: SweepInput): Promise<SweepOutcome> {
  const { spec } = input;
  const info = workflowInfo();
  const sweepId = info.workflowId;
  // A lost worker's packs move on after 5 s of silence; replay of sweeps started before keeps 30 s.
  const options = { heartbeat_timeout_s: patched('pack-heartbeat-5s') ? PACK_HEARTBEAT_TIMEOUT_S : 30, top_k: 20, ...input.options };

  // Packing that measures reused packs too and holds back until the first pack is measured
  // (docs/store.md); running sweeps started before it keep the old rule (replay).
  const batched = patched('speed-batched-packing');
  // Packs balanced over the whole sweep, not over what is left (see nextPack); replay keeps the old rule.
  const byTotal = patched('speed-pack-by-total');
  // Packs of at least MIN_ACTIVITY_MS of measured work after a first wave of FIRST_WINDOW_SIZED;
  // replay keeps the rules above.
  const sized = patched('speed-fewer-packs');
  // `where` tested within a budget of evaluations per task, however long the expression; replay
  // keeps the budget of indices.
  const whereBudget = patched('where-budget-by-cost');
  // Pause cancels the packs in flight, which store what they finished and hand the rest back;
  // replay keeps the pause that only stopped dispatching.
  const handsBack = patched('pause-stops-packs');
  const admissible = admissibility(spec);
  const scanStep = whereBudget && admissible ? admissible.cost : 1;
  const scanPerTask = whereBudget ? WHERE_EVALS_PER_TASK : SCAN_PER_TASK;
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

  if (state.pack === 0) state.pack = firstPack(spec, state.total, sized);

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
  let phase: SweepPhase = 'running';
  let failure: unknown = null;
  /** The scopes of the packs in flight, which a pause cancels. */
  const packs = new Set<CancellationScope>();
  // A paused sweep says so from the moment the pause is handled, draining or not.
  const phaseNow = (): SweepPhase => (state.paused && (phase === 'running' || phase === 'draining') ? 'paused' : phase);

  setHandler(progressQuery, () => ({
    sweep_id: sweepId,
    kind: spec.kind,
    name: spec.name,
    phase: phaseNow(),
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
    now: Date.now(),
    // Pauses that ended; a query's clock is the last workflow task's, so the current one is a start time.
    paused_ms: state.paused_ms ?? 0,
    paused_since: state.paused ? (state.paused_since ?? null) : null,
    generation: state.generation,
    best: state.top[0] ?? null,
    top: state.top,
    errors: state.errors,
  }));
  const show = (shown: string = phaseNow()): void => showDetails(spec, state, shown, running);
  setHandler(pauseSignal, () => {
    notePause(state);
    state.paused = true;
    setStatus('paused');
    // Packs in flight hear of it with their next heartbeat and stop at their next batch boundary.
    if (handsBack) for (const scope of packs) scope.cancel();
    show();
  });
  setHandler(resumeSignal, () => {
    noteResume(state);
    state.paused = false;
    setStatus('running');
    show();
  });
  show();

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
    show();
    const scope = handsBack ? new CancellationScope() : null;
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
      if (ran > 0) measure(state, out, ran, batched);
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
      show();
    }
  };

  try {
    if (!input.cursor) {
      upsertSearchAttributes([{ key: sweepTotalKey, value: state.total }]);
      // The first span's scan comes with the start record; replay of sweeps started before that
      // scans it in an activity of its own.
      const firstScan = patched('speed-start-scan') ? { to: Math.min(space, SCAN_SPAN), top_k: options.top_k } : undefined;
      // Automatic packing gets the cost of an operation with the start record, so its first packs are
      // sized like the rest; replay of sweeps started before measures a first wave instead.
      const calibrate =
        spec.parallel.operations_per_activity === 'auto' && patched('speed-calibrated-start')
          ? firstAdmissible(state.next, space, admissible, whereBudget ? Math.floor(WHERE_EVALS_PER_TASK / scanStep) : CALIBRATION_SCAN)
          : undefined;
      // Histories from before the store counted its operations hold no result here (replay: no scan).
      const started = (await recordSweepStart({ sweep_id: sweepId, spec, total: state.total, first_scan: firstScan, calibrate })) as RecordSweepStartOutput | undefined;
      if (started?.op_ms !== undefined && state.op_ms === null) state.op_ms = started.op_ms;
      if ((started?.stored ?? 0) > 0) {
        startScanning(state);
        if (started?.scan) fold(scanned(state, space, started.scan));
      }
    }
    const inFlight = new Set<Promise<void>>();
    const window = spec.parallel.max_in_flight;
    const scan = { left: scanPerTask, perTask: scanPerTask, step: scanStep };

    while ((state.next < space || hasRedo(state)) && !failure) {
      await condition(() => (!state.paused && inFlight.size < (batched ? windowNow(spec, state, window, sized) : window)) || failure !== null);
      if (failure || shouldContinueAsNew()) break;
      if (hasRedo(state)) {
        const redo = takeRedo(state, nextPack(spec, state, byTotal, sized));
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
      const indices = takeBatch(state, space, admissible, nextPack(spec, state, byTotal, sized), scan);
      if (indices.length === 0) {
        // Out of `where` budget: end this workflow task first. Otherwise nothing is left before the
        // scanned part ends: scan on (the loop ends when the space does).
        if (scan.left <= 0) await yieldTask(scan);
        continue;
      }
      const p: Promise<void> = dispatch(indices).finally(() => inFlight.delete(p));
      inFlight.add(p);
    }

    phase = 'draining';
    show();
    await Promise.all(inFlight);

    if (failure) {
      phase = 'finishing';
      await recordSweepEnd({ sweep_id: sweepId, status: 'failed' });
      setStatus('failed');
      show('failed');
      throw ApplicationFailure.create({
        type: 'SweepFailed',
        message: `sweep ${sweepId} failed after ${state.done} of ${state.total} operations: ${describe(failure)}`,
        nonRetryable: true,
        cause: failure instanceof Error ? failure : undefined,
      });
    }

    // Packs handed back while draining (a pause) are run by the next run, which starts paused.
    if (state.next < space || hasRedo(state)) {
      await condition(allHandlersFinished);
      state.generation++;
      show('continued as new');
      log.info('sweep continues as new', { sweepId, next: state.next, done: state.done });
      return await continueAsNew<(input: SweepInput) => Promise<SweepOutcome>>({ spec, cursor: state, options: input.options });
    }

    phase = 'finishing';
    await recordSweepEnd({ sweep_id: sweepId, status: 'completed' });
    setStatus('completed');
    show('completed');
    await condition(allHandlersFinished);
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
    if (isCancellation(err)) {
      // Record the cancellation even though this scope is cancelled; then let Temporal close the run.
      await CancellationScope.nonCancellable(async () => {
        await recordSweepEnd({ sweep_id: sweepId, status: 'cancelled' });
        setStatus('cancelled');
        show('cancelled');
      });
    }
    throw err;
  }
}

/** Keeps the SweepStatus search attribute (Temporal UI, list filters) in step with the sweep. */
export function setStatus(status: SweepStatus): void {
  upsertSearchAttributes([{ key: sweepStatusKey, value: status }]);
}

/** Pauses are timed in workflow time, so a rate after `resume` counts only time spent running. */
function notePause(state: SweepCursor): void {
  if (!state.paused) state.paused_since = Date.now();
}

function noteResume(state: SweepCursor): void {
  if (state.paused && typeof state.paused_since === 'number') state.paused_ms = (state.paused_ms ?? 0) + Date.now() - state.paused_since;
  state.paused_since = null;
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

/** Whether an index satisfies `where`, and what one test costs in evaluations (its nodes and a step of the walk). */
interface Admissibility {
  test: (idx: number) => boolean;
  cost: number;
}

function admissibility(spec: SweepSpec): Admissibility | null {
  if (spec.kind !== 'optimization' || !spec.where) return null;
  const where = compileWhere(spec.where, spec.grid, spec.file, 'optimization_config.constraints.where');
  const walk = comboWalker(spec.grid);
  return { test: (idx) => where(walk(idx)), cost: where.nodes + 1 };
}

function hasRedo(state: SweepCursor): boolean {
  return (state.redo?.length ?? 0) > 0;
}

/** Indices a pack handed back, to be dispatched again before the cursor moves on. */
function handBack(state: SweepCursor, runs: Array<[number, number]>): void {
  state.redo = [...(state.redo ?? []), ...runs];
}

/** Up to `pack` handed-back indices, taken off the front of `redo`. */
function takeRedo(state: SweepCursor, pack: number): number[] {
  const indices: number[] = [];
  const redo = state.redo!;
  while (redo.length > 0 && indices.length < pack) {
    const run = redo[0]!;
    while (run[0] < run[1] && indices.length < pack) indices.push(run[0]++);
    if (run[0] === run[1]) redo.shift();
  }
  if (redo.length === 0) delete state.redo;
  return indices;
}

/** What the current workflow task may still spend on `where`: `left`, less `step` per index tested. */
interface ScanBudget {
  left: number;
  perTask: number;
  step: number;
}

/**
 * Advances the cursor past the next `pack` admissible indices and returns them, testing indices
 * against `where` while `scan.left` lasts (fewer, or none, when that budget runs out first). A restarted
 * sweep's cursor jumps over the ranges its scan found stored, and stops where the scan has not looked yet.
 */
function takeBatch(state: SweepCursor, space: number, admissible: Admissibility | null, pack: number, scan: ScanBudget): number[] {
  const indices: number[] = [];
  const end = state.scanned_to ?? space;
  while (state.next < end && indices.length < pack) {
    const skip = state.skip?.[0];
    if (skip && state.next >= skip[0]) {
      state.next = Math.max(state.next, skip[1]);
      state.skip!.shift();
      continue;
    }
    if (admissible) {
      if (scan.left <= 0) break;
      scan.left -= scan.step;
    }
    const idx = state.next++;
    if (!admissible || admissible.test(idx)) indices.push(idx);
  }
  return indices;
}

/** Indices looked at for one to calibrate packing with; a sparser start measures its first packs instead. */
const CALIBRATION_SCAN = 10_000;

function firstAdmissible(from: number, space: number, admissible: Admissibility | null, look: number): number | undefined {
  for (let idx = from; idx < Math.min(space, from + look); idx++) if (!admissible || admissible.test(idx)) return idx;
  return undefined;
}

/** Ends this workflow task (a timer is the cheapest command that does) and renews the scan budget. */
async function yieldTask(scan: ScanBudget): Promise<void> {
  await sleep(1);
  scan.left = scan.perTask;
}

/** Stored indices are looked up this many at a time; a fully stored range costs one activity. */
const SCAN_SPAN = 100_000;

/** A sweep restarted over a store that already holds some of its operations scans before it dispatches. */
function startScanning(state: SweepCursor): void {
  state.scanned_to = state.next;
  state.skip = [];
}

function scanDue(state: SweepCursor): boolean {
  return state.scanned_to !== undefined && state.next >= state.scanned_to;
}

/** Scans the next span for stored operations, records what to skip, and returns them to be folded in. */
async function scanAhead(state: SweepCursor, space: number, scan: (from: number, to: number) => Promise<ScanStoredOutput>): Promise<BatchOutcome> {
  return scanned(state, space, await scan(state.next, Math.min(space, state.next + SCAN_SPAN)));
}

/** Records what a scan found to skip, and where the next one starts. */
function scanned(state: SweepCursor, space: number, out: ScanStoredOutput): BatchOutcome {
  state.skip = out.skip;
  // Once the scan has reached the end of the index space, the cursor runs free (skipping `skip`).
  if (out.to >= space) delete state.scanned_to;
  else state.scanned_to = out.to;
  return out;
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

/** Activities in flight before anything is measured: a few first packs, so the rest are sized by measure. */
const FIRST_WINDOW = 8;
/**
 * The same with packs sized by MIN_ACTIVITY_MS: an activity spreads its pack over all of its
 * worker's backtest slots, so two keep a worker busy until the first one reports its cost.
 */
const FIRST_WINDOW_SIZED = 2;

/**
 * The window: with automatic packing, only a first wave of activities until the first pack reports its
 * cost, so a cheap sweep does not send half its operations out in tiny first packs before it knows.
 */
function windowNow(spec: SweepSpec, state: SweepCursor, window: number, sized: boolean): number {
  return spec.parallel.operations_per_activity === 'auto' && state.op_ms === null ? Math.min(window, sized ? FIRST_WINDOW_SIZED : FIRST_WINDOW) : window;
}

/** The measured cost of one operation of a pack, reused ones included, for automatic packing. */
function measure(state: SweepCursor, out: RunOperationsOutput, operations: number, batched: boolean): void {
  // Before the patch, only packs that ran the engine were measured.
  if (!batched && out.executed === 0) return;
  const perOp = out.elapsed_ms / operations;
  state.op_ms = state.op_ms === null ? perOp : 0.7 * state.op_ms + 0.3 * perOp;
}

/**
 * Automatic packing: as many operations as fit in about one second of measured work, but never so
 * many that the sweep has fewer than MIN_ACTIVITIES_LEFT activities to spread over the workers,
 * unless (`sized`) that would make an activity shorter than MIN_ACTIVITY_MS: each costs ~15–25 ms of
 * orchestration (its events, a workflow task, its hash lookup and store transaction;
 * docs/benchmarks.md), which would otherwise outweigh the backtests of a sweep that takes a second in all.
 */
export function nextPack(spec: SweepSpec, state: SweepCursor, byTotal: boolean, sized: boolean): number {
  if (spec.parallel.operations_per_activity !== 'auto') return spec.parallel.operations_per_activity;
  if (state.op_ms !== null) {
    const remaining = Math.max(1, state.total - state.done - state.failed);
    const opMs = Math.max(state.op_ms, 0.01);
    const byCost = Math.round(TARGET_ACTIVITY_MS / opMs);
    // Balancing over what remains (counting packs in flight as remaining) shrinks every pack after
    // the one before: a tail of ever smaller activities, ~80 for 3,200 operations where 16 would do.
    const byBalance = Math.ceil((byTotal ? state.total : remaining) / MIN_ACTIVITIES_LEFT);
    const atLeast = sized ? Math.max(byBalance, Math.round(MIN_ACTIVITY_MS / opMs)) : byBalance;
    state.pack = Math.max(1, Math.min(MAX_PACK, byCost, atLeast));
  }
  return state.pack;
}

export function firstPack(spec: SweepSpec, total: number, sized: boolean): number {
  if (spec.parallel.operations_per_activity !== 'auto') return spec.parallel.operations_per_activity;
  if (sized) return Math.max(1, Math.min(MAX_FIRST_PACK_SIZED, Math.ceil(total / (2 * MIN_ACTIVITIES_LEFT))));
  return Math.max(1, Math.min(MAX_FIRST_PACK, Math.ceil(total / (2 * spec.parallel.max_in_flight))));
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
