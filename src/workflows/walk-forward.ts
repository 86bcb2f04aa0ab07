import {
  CancellationScope,
  condition,
  isCancellation,
  log,
  ParentClosePolicy,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  startChild,
  workflowInfo,
  type ChildWorkflowHandle,
} from '@temporalio/workflow';
import type { createActivities } from '../activities/index.js';
import { windowOptimization, windowSweepId } from '../config/walk-forward-spec.js';
import { sweepKindKey, sweepNameKey, sweepStatusKey, sweepTotalKey } from '../temporal/search-attributes.js';
import { sweepLifecycle, type PauseClock } from './lifecycle.js';
import { optimizationWorkflow } from './optimization.js';
import { pauseSignal, resumeSignal } from './types.js';
import { walkForwardDetails } from './walk-forward-details.js';
import { windowsQuery, type WalkForwardInput, type WalkForwardOutcome, type WindowSummary } from './walk-forward-types.js';

/*
 * Walk-forward optimization (docs/cli.md, docs/metrics.md): for each window, the in-sample optimization runs as a child
 * optimization sweep (the same fan-out, results stored and reused by hash), then its best
 * combination runs out of sample, warmed up on the bars before the piece. At most
 * `max_windows_in_flight` windows run at once. A (re)started walk-forward asks the store which
 * windows are finished and runs only the others; a window's child reuses every stored operation,
 * so a crash anywhere redoes only what was not stored.
 */

type Activities = ReturnType<typeof createActivities>;

/** The innermost message: a child's or an activity's failure wraps the one that says what went wrong. */
function describe(err: unknown): string {
  let e: unknown = err;
  while (e instanceof Error && e.cause instanceof Error) e = e.cause;
  return e instanceof Error ? e.message : String(e);
}

export async function walkForwardWorkflow(input: WalkForwardInput): Promise<WalkForwardOutcome> {
  const { spec } = input;
  const info = workflowInfo();
  const id = info.workflowId;
  const { recordWalkForwardStart, recordWalkForwardEnd } = proxyActivities<Activities>({
    startToCloseTimeout: '1 minute',
    retry: { maximumInterval: '10 seconds' },
  });
  const { runWindowOutOfSample } = proxyActivities<Activities>({
    // Two backtests on one window's bars; a dead worker is noticed by the heartbeat timeout.
    startToCloseTimeout: '1 hour',
    heartbeatTimeout: `${input.options?.heartbeat_timeout_s ?? 30} seconds`,
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 10 },
  });

  const finished = new Map<number, WindowSummary>();
  const running = new Set<number>();
  const children = new Map<number, ChildWorkflowHandle<typeof optimizationWorkflow>>();
  let reused = 0;
  /** Windows whose optimization or out-of-sample run failed (the first failure stops the walk-forward). */
  let failed = 0;
  const clock: PauseClock = { paused: false, paused_ms: 0, paused_since: null };
  let failure: unknown = null;

  const windowsState = () => ({ done: [...finished.values()].sort((a, b) => a.k - b.k), running: [...running].sort((a, b) => a - b) });
  setHandler(windowsQuery, windowsState);

  /** Pause and resume reach every window's optimization, so its fan-out stops or carries on too. */
  const forward = async (signal: typeof pauseSignal | typeof resumeSignal): Promise<void> => {
    await Promise.all(
      [...children.entries()].map(([k, child]) =>
        child.signal(signal).catch((err: unknown) => {
          // A child that closed since it was listed has nothing left to pause.
          log.info('signal to a closed window optimization', { k, err: describe(err) });
        }),
      ),
    );
  };
  const life = sweepLifecycle({
    clock,
    // A window is this sweep's operation: one at a time per child, none of them ranked here (the
    // windows query has their figures).
    figures: () => ({
      sweep_id: id,
      kind: 'walk_forward' as const,
      name: spec.name,
      primary_metric: spec.optimization.primary_metric,
      space: spec.windows.length,
      total: spec.windows.length,
      done: finished.size,
      failed,
      reused,
      executed: finished.size - reused,
      running: running.size,
      pack: 1,
      started_at: info.startTime.getTime(),
      generation: 0,
      best: null,
      top: [],
      errors: failure ? [describe(failure)] : [],
    }),
    /** The Temporal UI's current details (workflow memory, read by the SDK's metadata query): rewritten on every change. */
    details: (shown) => {
      const { done, running: inFlight } = windowsState();
      setCurrentDetails(walkForwardDetails(spec, shown, done, inFlight));
    },
    recordEnd: (status) => recordWalkForwardEnd({ walk_forward_id: id, status }),
    onPause: () => forward(pauseSignal),
    onResume: () => forward(resumeSignal),
  });

  const runWindow = async (k: number): Promise<void> => {
    running.add(k);
    life.show();
    try {
      const child = await startChild(optimizationWorkflow, {
        workflowId: windowSweepId(id, k),
        args: [{ spec: windowOptimization(spec, k), options: { ...input.options, statistics: false } }],
        // Closing the walk-forward closes its windows; a restart runs them again, reusing by hash.
        parentClosePolicy: ParentClosePolicy.TERMINATE,
        typedSearchAttributes: [
          { key: sweepKindKey, value: 'optimization' },
          { key: sweepNameKey, value: `${spec.name} w${k} in-sample` },
          { key: sweepStatusKey, value: 'running' },
          { key: sweepTotalKey, value: 0 },
        ],
        memo: { kind: 'optimization', name: `${spec.name} w${k} in-sample`, walk_forward: id },
      });
      children.set(k, child);
      if (clock.paused) await child.signal(pauseSignal);
      const outcome = await child.result();
      children.delete(k);
      finished.set(k, await runWindowOutOfSample({ walk_forward_id: id, k, best: outcome.best }));
    } catch (err) {
      // The walk-forward's own cancellation is seen by the main loop; anything else — a window's
      // optimization cancelled by itself included — fails it (what finished is stored, so `resume`
      // carries on from there).
      const cancelled = isCancellation(err) && CancellationScope.current().consideredCancelled;
      if (!cancelled) failed++;
      if (!failure && !cancelled) failure = err;
    } finally {
      children.delete(k);
      running.delete(k);
      life.show();
    }
  };

  const inFlight = new Set<Promise<void>>();
  try {
    for (const summary of await life.start(spec.windows.length, () => recordWalkForwardStart({ walk_forward_id: id, spec }))) finished.set(summary.k, summary);
    reused = finished.size;
    life.show();
    for (const { k } of spec.windows) {
      if (finished.has(k)) continue;
      await condition(() => failure !== null || (!clock.paused && inFlight.size < spec.max_windows_in_flight));
      if (failure) break;
      const p: Promise<void> = runWindow(k).finally(() => inFlight.delete(p));
      inFlight.add(p);
    }
    life.enter('draining');
    await Promise.all(inFlight);

    if (failure) {
      return await life.fail('WalkForwardFailed', `walk-forward ${id} failed after ${finished.size} of ${spec.windows.length} windows: ${describe(failure)}`, failure);
    }
    await life.complete();
    return { id, status: 'completed', windows: [...finished.values()].sort((a, b) => a.k - b.k) };
  } catch (err) {
    // The windows' optimizations were asked to cancel too; they record it before this does.
    return await life.cancelled(err, () => Promise.all(inFlight));
  }
}
