import { ApplicationFailure } from '@temporalio/activity';
import { setTimeout as sleep } from 'node:timers/promises';
import { canonicalJson } from '../config/hash.js';
import { StoredSpecSchema } from '../config/stored-spec.js';
import { windowOf } from '../config/walk-forward-spec.js';
import type { Store } from '../store/types.js';

/**
 * The client refuses a taken id; this catches the sweep that slipped past it (a store that had the
 * id while Temporal did not), so one sweep's rows never join another's. The same spec is the same
 * sweep carrying on (a resume, a walk-forward's window started again). The stored spec comes back
 * decoded (docs/store.md, "The stored spec"), so `spec` is compared decoded the same way: a sweep
 * started before a field with a default existed still carries its input without that field.
 */
export async function refuseAnotherSweep(store: Store, sweepId: string, spec: unknown): Promise<void> {
  const existing = await store.getSweep(sweepId);
  const decoded = StoredSpecSchema.safeParse(spec);
  if (existing && canonicalJson(existing.spec) !== canonicalJson(decoded.success ? decoded.data : spec)) {
    throw ApplicationFailure.create({
      type: 'ConfigError',
      message: `sweep id "${sweepId}" is already the id of another sweep in the results store (${existing.kind.replace('_', ' ')} "${existing.name}"); a new sweep needs an id of its own`,
      nonRetryable: true,
    });
  }
}

/** How long a sweep's start waits for the row its client writes just after starting the workflow. */
const SUBMITTED_WAIT_MS = 3_000;

/**
 * A sweep's rows go under its id in this worker's store, where the client that submitted it wrote
 * its row. A store without that row is another database than the client's: the worker was given
 * another DATABASE_URL, and the sweep's results would lie where nobody reads them. The client writes
 * the row right after starting the workflow, so the start waits for it a little; a walk-forward's
 * window sweep has no row of its own until it starts, so there it is the walk-forward's row.
 */
export async function requireSubmittedSweep(store: Store, sweepId: string): Promise<void> {
  const window = windowOf(sweepId);
  for (const deadline = Date.now() + SUBMITTED_WAIT_MS; ; ) {
    if (await store.getSweep(sweepId)) return;
    if (window && (await store.getSweep(window.walkForwardId))?.kind === 'walk_forward') return;
    if (Date.now() >= deadline) throw notInStore(store, sweepId);
    await sleep(50);
  }
}

/**
 * The same, for a pack of the sweep: its start wrote the row (above), so a store without it is
 * another one than the start's. Sweeps found are remembered in `known`, so each costs one lookup.
 */
export async function requireSweepInStore(store: Store, sweepId: string, known: Set<string>): Promise<void> {
  if (known.has(sweepId)) return;
  if (!(await store.getSweep(sweepId))) throw notInStore(store, sweepId);
  known.add(sweepId);
}

function notInStore(store: Store, sweepId: string): ApplicationFailure {
  return ApplicationFailure.create({
    type: 'ConfigError',
    message: `sweep ${sweepId} is not in this worker's results store (${store.location}); the worker and the client must use the same DATABASE_URL`,
    nonRetryable: true,
  });
}
