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
