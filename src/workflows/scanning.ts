import { sleep } from '@temporalio/workflow';
import { comboWalker } from '../config/grid.js';
import { compileWhere } from '../config/expression.js';
import type { SweepSpec } from '../config/sweep.js';
import type { BatchOutcome, ScanStoredOutput, SweepCursor } from './types.js';

/*
 * Walking a sweep's index space lazily (the grid is never listed): the next admissible indices under
 * `where` within an evaluation budget per workflow task, the ranges a restarted sweep found stored
 * (skipped), and the indices packs handed back (run again first). All of it moves the cursor that a
 * sweep carries across continue-as-new (src/workflows/types.ts, SweepCursor).
 */

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
/** Indices looked at for one to calibrate packing with; a sparser start measures its first packs instead. */
const CALIBRATION_SCAN = 10_000;
/** Stored indices are looked up this many at a time; a fully stored range costs one activity. */
export const SCAN_SPAN = 100_000;

/** Whether an index satisfies `where`, and what one test costs in evaluations (its nodes and a step of the walk). */
export interface Admissibility {
  test: (idx: number) => boolean;
  cost: number;
}

export function admissibility(spec: SweepSpec): Admissibility | null {
  if (spec.kind !== 'optimization' || !spec.where) return null;
  const where = compileWhere(spec.where, spec.grid, spec.file, 'optimization_config.constraints.where');
  const walk = comboWalker(spec.grid);
  return { test: (idx) => where(walk(idx)), cost: where.nodes + 1 };
}

/** What the current workflow task may still spend on `where`: `left`, less `step` per index tested. */
export interface ScanBudget {
  left: number;
  perTask: number;
  step: number;
}

/** A fresh budget: `where` evaluations (`byCost`, patch `where-budget-by-cost`) or, replaying older sweeps, indices. */
export function scanBudget(admissible: Admissibility | null, byCost: boolean): ScanBudget {
  const perTask = byCost ? WHERE_EVALS_PER_TASK : SCAN_PER_TASK;
  return { left: perTask, perTask, step: byCost && admissible ? admissible.cost : 1 };
}

/** How many indices a start may look at for one to calibrate packing with (a budget's worth with `byCost`). */
export function calibrationLook(budget: ScanBudget, byCost: boolean): number {
  return byCost ? Math.floor(WHERE_EVALS_PER_TASK / budget.step) : CALIBRATION_SCAN;
}

/** The first admissible index in [from, from + look), if any. */
export function firstAdmissible(from: number, space: number, admissible: Admissibility | null, look: number): number | undefined {
  for (let idx = from; idx < Math.min(space, from + look); idx++) if (!admissible || admissible.test(idx)) return idx;
  return undefined;
}

/**
 * Advances the cursor past the next `pack` admissible indices and returns them, testing indices
 * against `where` while `scan.left` lasts (fewer, or none, when that budget runs out first). A restarted
 * sweep's cursor jumps over the ranges its scan found stored, and stops where the scan has not looked yet.
 */
export function takeBatch(state: SweepCursor, space: number, admissible: Admissibility | null, pack: number, scan: ScanBudget): number[] {
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

/** Ends this workflow task (a timer is the cheapest command that does) and renews the scan budget. */
export async function yieldTask(scan: ScanBudget): Promise<void> {
  await sleep(1);
  scan.left = scan.perTask;
}

export function hasRedo(state: SweepCursor): boolean {
  return (state.redo?.length ?? 0) > 0;
}

/** Indices a pack handed back, to be dispatched again before the cursor moves on. */
export function handBack(state: SweepCursor, runs: Array<[number, number]>): void {
  state.redo = [...(state.redo ?? []), ...runs];
}

/** Up to `pack` handed-back indices, taken off the front of `redo`. */
export function takeRedo(state: SweepCursor, pack: number): number[] {
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

/** A sweep restarted over a store that already holds some of its operations scans before it dispatches. */
export function startScanning(state: SweepCursor): void {
  state.scanned_to = state.next;
  state.skip = [];
}

export function scanDue(state: SweepCursor): boolean {
  return state.scanned_to !== undefined && state.next >= state.scanned_to;
}

/** Scans the next span for stored operations, records what to skip, and returns them to be folded in. */
export async function scanAhead(state: SweepCursor, space: number, scan: (from: number, to: number) => Promise<ScanStoredOutput>): Promise<BatchOutcome> {
  return scanned(state, space, await scan(state.next, Math.min(space, state.next + SCAN_SPAN)));
}

/** Records what a scan found to skip, and where the next one starts. */
export function scanned(state: SweepCursor, space: number, out: ScanStoredOutput): BatchOutcome {
  state.skip = out.skip;
  // Once the scan has reached the end of the index space, the cursor runs free (skipping `skip`).
  if (out.to >= space) delete state.scanned_to;
  else state.scanned_to = out.to;
  return out;
}
