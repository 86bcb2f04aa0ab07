import {
  ApplicationFailure,
  CancellationScope,
  allHandlersFinished,
  condition,
  isCancellation,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import { sweepStatusKey, sweepTotalKey } from '../temporal/search-attributes.js';
import type { SweepStatus } from '../store/types.js';
import { pauseSignal, progressQuery, resumeSignal, type SweepPhase, type SweepProgress } from './types.js';

/*
 * The life of one sweep, whatever it fans out (packs of operations, or windows of a walk-forward):
 * its phase, the pause clock, its status (the SweepStatus search attribute, the `progress` query, the
 * Temporal UI's current details), its start record and its end — completed, failed or cancelled — in
 * one order: the end record in the store, then the status, then the details.
 */

/** Pause state a sweep carries across continue-as-new (src/workflows/types.ts, SweepCursor has these fields). */
export interface PauseClock {
  paused: boolean;
  /** Workflow time spent paused before the current pause (ms), and when the current one began (epoch ms). */
  paused_ms?: number;
  paused_since?: number | null;
}

/** The progress figures that depend on what a sweep runs; the lifecycle adds phase, time and pause. */
export type ProgressFigures = Omit<SweepProgress, 'phase' | 'now' | 'paused_ms' | 'paused_since'>;

export interface LifecycleHooks {
  /** Pause state, kept by the caller where it must outlive the run. */
  clock: PauseClock;
  figures: () => ProgressFigures;
  /** Rewrites the Temporal UI's current details for the phase shown. */
  details: (shown: string) => void;
  /** Writes the end record to the store (an activity). */
  recordEnd: (status: 'completed' | 'failed' | 'cancelled') => Promise<unknown>;
  /** What pause and resume do to the work in flight, after the status has changed. */
  onPause?: () => void | Promise<void>;
  onResume?: () => void | Promise<void>;
}

/** Keeps the SweepStatus search attribute (Temporal UI, list filters) in step with the sweep. */
export function setStatus(status: SweepStatus): void {
  upsertSearchAttributes([{ key: sweepStatusKey, value: status }]);
}

/** Pauses are timed in workflow time, so a rate after `resume` counts only time spent running. */
function notePause(clock: PauseClock): void {
  if (!clock.paused) clock.paused_since = Date.now();
  clock.paused = true;
}

function noteResume(clock: PauseClock): void {
  if (clock.paused && typeof clock.paused_since === 'number') clock.paused_ms = (clock.paused_ms ?? 0) + Date.now() - clock.paused_since;
  clock.paused_since = null;
  clock.paused = false;
}

export interface Lifecycle {
  /** The phase shown: a paused sweep says so from the moment the pause is handled, draining or not. */
  phase: () => SweepPhase;
  /** Shows the current details, for the phase now or the one given. */
  show: (shown?: string) => void;
  /** Enters a phase and shows it. */
  enter: (phase: SweepPhase) => void;
  /** The start: the total for list filters, then the start record (an activity), whose answer is returned. */
  start: <T>(total: number, record: () => Promise<T>) => Promise<T>;
  /** Completes: end record, status, details, and waits for handlers still running. */
  complete: () => Promise<void>;
  /** Fails for good: end record, status, details, then a non-retryable failure of the given type. */
  fail: (type: string, message: string, cause: unknown) => Promise<never>;
  /**
   * For the workflow's outer `catch`: a cancellation is recorded (after `drain`, if given) even though
   * the scope is cancelled; the error is thrown on either way.
   */
  cancelled: (err: unknown, drain?: () => Promise<unknown>) => Promise<never>;
}

/** Registers the progress query and the pause and resume signals, and returns the sweep's lifecycle. */
export function sweepLifecycle(hooks: LifecycleHooks): Lifecycle {
  const { clock } = hooks;
  let current: SweepPhase = 'running';
  const phase = (): SweepPhase => (clock.paused && (current === 'running' || current === 'draining') ? 'paused' : current);
  const show = (shown: string = phase()): void => hooks.details(shown);

  setHandler(progressQuery, () => ({
    ...hooks.figures(),
    phase: phase(),
    now: Date.now(),
    // Pauses that ended; a query's clock is the last workflow task's, so the current one is a start time.
    paused_ms: clock.paused_ms ?? 0,
    paused_since: clock.paused ? (clock.paused_since ?? null) : null,
  }));
  setHandler(pauseSignal, () => {
    notePause(clock);
    setStatus('paused');
    show();
    return hooks.onPause?.();
  });
  setHandler(resumeSignal, () => {
    noteResume(clock);
    setStatus('running');
    show();
    return hooks.onResume?.();
  });

  const end = async (status: 'completed' | 'failed' | 'cancelled'): Promise<void> => {
    await hooks.recordEnd(status);
    setStatus(status);
    show(status);
  };

  return {
    phase,
    show,
    enter(next) {
      current = next;
      show();
    },
    async start(total, record) {
      upsertSearchAttributes([{ key: sweepTotalKey, value: total }]);
      return record();
    },
    async complete() {
      current = 'finishing';
      await end('completed');
      await condition(allHandlersFinished);
    },
    async fail(type, message, cause) {
      current = 'finishing';
      await end('failed');
      throw ApplicationFailure.create({ type, message, nonRetryable: true, cause: cause instanceof Error ? cause : undefined });
    },
    async cancelled(err, drain) {
      if (isCancellation(err)) {
        await CancellationScope.nonCancellable(async () => {
          if (drain) await drain();
          await end('cancelled');
        });
      }
      throw err;
    },
  };
}
