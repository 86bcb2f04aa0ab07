/*
 * Automatic packing as arithmetic on plain numbers: how many operations one activity gets, how many
 * activities may be in flight before the cost of an operation is known, and how that cost is
 * measured. The replay patches that changed these rules arrive once, as `PackingRules`, decided at
 * the top of a sweep's run (src/workflows/fan-out.ts); nothing here asks Temporal anything.
 */

/** `operations_per_activity` of a sweep's `parallel` section: a fixed pack, or sized from measured cost. */
export type PackSetting = number | 'auto';

/** Which packing rules a run follows: the newest for new sweeps, older ones where a history replays (docs/deploy.md, "Patches"). */
export interface PackingRules {
  /** `speed-batched-packing`: reused packs are measured too, and a first wave waits for the first measure. */
  measureReused: boolean;
  /** `speed-pack-by-total`: packs balanced over the whole sweep, not over what is left. */
  balanceOverTotal: boolean;
  /** `speed-fewer-packs`: packs of at least MIN_ACTIVITY_MS of work, after a first wave of FIRST_WINDOW_SIZED. */
  sized: boolean;
}

/** Where a sweep stands, as far as packing cares. */
export interface PackingState {
  total: number;
  done: number;
  failed: number;
  /** Measured cost of one operation (ms); null before the first measure. */
  op_ms: number | null;
  /** The pack size now in use. */
  pack: number;
}

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
/** Activities in flight before anything is measured: a few first packs, so the rest are sized by measure. */
const FIRST_WINDOW = 8;
/**
 * The same with packs sized by MIN_ACTIVITY_MS: an activity spreads its pack over all of its
 * worker's backtest slots, so two keep a worker busy until the first one reports its cost.
 */
const FIRST_WINDOW_SIZED = 2;

/** The pack of a sweep's first activities, before any cost is measured. */
export function firstPack(setting: PackSetting, total: number, maxInFlight: number, rules: PackingRules): number {
  if (setting !== 'auto') return setting;
  if (rules.sized) return Math.max(1, Math.min(MAX_FIRST_PACK_SIZED, Math.ceil(total / (2 * MIN_ACTIVITIES_LEFT))));
  return Math.max(1, Math.min(MAX_FIRST_PACK, Math.ceil(total / (2 * maxInFlight))));
}

/**
 * The next pack: as many operations as fit in about one second of measured work, but never so
 * many that the sweep has fewer than MIN_ACTIVITIES_LEFT activities to spread over the workers,
 * unless (`sized`) that would make an activity shorter than MIN_ACTIVITY_MS: each costs ~15–25 ms of
 * orchestration (its events, a workflow task, its hash lookup and store transaction;
 * docs/benchmarks.md), which would otherwise outweigh the backtests of a sweep that takes a second in all.
 * Before anything is measured the pack stays as it is.
 */
export function nextPack(setting: PackSetting, state: PackingState, rules: PackingRules): number {
  if (setting !== 'auto') return setting;
  if (state.op_ms === null) return state.pack;
  const remaining = Math.max(1, state.total - state.done - state.failed);
  const opMs = Math.max(state.op_ms, 0.01);
  const byCost = Math.round(TARGET_ACTIVITY_MS / opMs);
  // Balancing over what remains (counting packs in flight as remaining) shrinks every pack after
  // the one before: a tail of ever smaller activities, ~80 for 3,200 operations where 16 would do.
  const byBalance = Math.ceil((rules.balanceOverTotal ? state.total : remaining) / MIN_ACTIVITIES_LEFT);
  const atLeast = rules.sized ? Math.max(byBalance, Math.round(MIN_ACTIVITY_MS / opMs)) : byBalance;
  return Math.max(1, Math.min(MAX_PACK, byCost, atLeast));
}

/**
 * Activities allowed in flight: with automatic packing, only a first wave until the first pack reports
 * its cost, so a cheap sweep does not send half its operations out in tiny first packs before it knows.
 */
export function windowNow(setting: PackSetting, opMs: number | null, window: number, rules: PackingRules): number {
  if (!rules.measureReused || setting !== 'auto' || opMs !== null) return window;
  return Math.min(window, rules.sized ? FIRST_WINDOW_SIZED : FIRST_WINDOW);
}

/** What one pack reported: its wall time and how many of its operations ran the engine. */
export interface PackCost {
  elapsed_ms: number;
  executed: number;
}

/**
 * The measured cost of one operation after a pack of `operations` (reused ones included): a moving
 * average. Before `speed-batched-packing`, only packs that ran the engine were measured.
 */
export function measure(opMs: number | null, pack: PackCost, operations: number, rules: PackingRules): number | null {
  if (!rules.measureReused && pack.executed === 0) return opMs;
  const perOp = pack.elapsed_ms / operations;
  return opMs === null ? perOp : 0.7 * opMs + 0.3 * perOp;
}
