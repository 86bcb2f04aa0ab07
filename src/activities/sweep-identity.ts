import { ApplicationFailure } from '@temporalio/activity';
import { canonicalJson } from '../config/hash.js';
import type { Store } from '../store/types.js';

/**
 * The client refuses a taken id; this catches the sweep that slipped past it (a store that had the
 * id while Temporal did not), so one sweep's rows never join another's. The same spec is the same
 * sweep carrying on (a resume, a walk-forward's window started again).
 */
export async function refuseAnotherSweep(store: Store, sweepId: string, spec: unknown): Promise<void> {
  const existing = await store.getSweep(sweepId);
  if (existing && canonicalJson(existing.spec) !== canonicalJson(spec)) {
    throw ApplicationFailure.create({
      type: 'ConfigError',
      message: `sweep id "${sweepId}" is already the id of another sweep in the results store (${existing.kind.replace('_', ' ')} "${existing.name}"); a new sweep needs an id of its own`,
      nonRetryable: true,
    });
  }
}

/**
 * A pack's rows go under its sweep's id in this worker's store, whose row the sweep's start wrote
 * (the client's submission, or recordSweepStart). A store without that row is another database than
 * the sweep's: the worker was given another DATABASE_URL than the client, and its rows would lie
 * where nobody reads them. Sweeps found are remembered in `known`, so each costs one lookup.
 */
export async function requireSweepInStore(store: Store, sweepId: string, known: Set<string>): Promise<void> {
  if (known.has(sweepId)) return;
  if (!(await store.getSweep(sweepId))) {
    throw ApplicationFailure.create({
      type: 'ConfigError',
      message: `sweep ${sweepId} is not in this worker's results store (${store.location}); the worker and the client must use the same DATABASE_URL`,
      nonRetryable: true,
    });
  }
  known.add(sweepId);
}
