import { z } from 'zod';
import type { Phase } from '../phases.js';
import type { BarSeries } from '../bars.js';

/** +1 long, −1 short: prices and levels are compared as `side × price` so one rule serves both. */
export type Side = 1 | -1;
/**
 * Which trades a signal plugin takes. long: bullish opens a long, bearish closes it. short: bearish
 * opens a short, bullish closes it. both: always in the market after the first signal, reversing on
 * the opposite event.
 */
export const DirectionSchema = z.enum(['long', 'short', 'both']).default('long');
export type Direction = z.infer<typeof DirectionSchema>;

/**
 * Context and refinement plugins veto entries (never exits). Asked once per entry candidate at the
 * signal bar; `lastExitBar` is the bar of the latest exit fill, −Infinity before the first.
 */
export interface EntryFilter {
  readonly kind: 'filter';
  allowsEntry(bar: number, side: Side, lastExitBar: number): boolean;
}

/** Per bar: +1 bullish, −1 bearish, 0 nothing, computed from bars ≤ that bar. */
export interface SignalWorker {
  readonly kind: 'signal';
  readonly events: Int8Array;
  readonly direction: Direction;
}

/** How an entry signal becomes an order: at market, or a limit valid for some bars. */
export interface EntryWorker {
  readonly kind: 'entry';
  /** The limit price for an entry signalled at `signalBar`, or NaN for a market order. */
  limitPrice(side: Side, signalBar: number): number;
  /** Bars after the signal bar in which the limit may fill. */
  readonly validBars: number;
}

/**
 * Exit levels of a trade, composed by every exit plugin in turn. "None" is the value no price can
 * reach: a long's stop −Infinity and target +Infinity (mirrored for a short); Infinity for
 * `trailPct` and `maxBars`. Each plugin only tightens: the tightest stop, nearest target, smallest
 * trail and maximum holding time win.
 */
export interface ExitLevels {
  stop: number;
  target: number;
  trailPct: number;
  maxBars: number;
}

export interface ExitWorker {
  readonly kind: 'exit';
  /** Tightens `levels` for a trade filled at `entryPrice` (slippage included) on a signal of `signalBar`. */
  plan(side: Side, entryPrice: number, signalBar: number, levels: ExitLevels): void;
}

export interface SizeWorker {
  readonly kind: 'size';
  /**
   * Units to buy or sell short at `price` with `equity` available, `stop` the trade's initial stop
   * (±Infinity when none) and `feeRate` the fee fraction per side. 0 skips the entry.
   */
  size(equity: number, price: number, stop: number, feeRate: number): number;
}

export type Worker = EntryFilter | SignalWorker | EntryWorker | ExitWorker | SizeWorker;

/** Where a user plugin's code comes from (src/user-plugins): its file and that file's bundled code hash. */
export interface PluginSource {
  /** Relative to the workspace, e.g. "plugins/zscore.ts". */
  readonly file: string;
  /** sha256 of the file bundled with its local imports: part of the hash of every operation using it. */
  readonly code_hash: string;
}

export interface PluginDefinition {
  readonly name: string;
  readonly phases: readonly Phase[];
  /** Params with defaults and bounds; strict, so a misspelt param is an error, not a silent default. */
  readonly params: z.ZodObject;
  /** One paragraph for the user: what it does, when it fires, its edge cases. */
  readonly doc: string;
  /** Exit plugins: whether every trade gets a stop from it (fixed_risk_sizer needs one). */
  readonly setsStop: boolean;
  /** Sizing plugins: whether it sizes from the stop distance, so an exit plugin must set a stop. */
  readonly needsStop: boolean;
  /** Bars before the plugin's first defined output for these (parsed) params: its warm-up. */
  lookback(params: Record<string, unknown>): number;
  /** The worker for one run over `bars`, from params already parsed by `params`. */
  create(bars: BarSeries, params: Record<string, unknown>): Worker;
  /** null for a built-in. */
  readonly source: PluginSource | null;
}

/** What a plugin module declares; `definePlugin` turns it into a PluginDefinition. */
export interface PluginDeclaration<S extends z.ZodObject> {
  name: string;
  phase: Phase;
  params: S;
  doc: string;
  setsStop?: boolean;
  needsStop?: boolean;
  lookback: (params: z.infer<S>) => number;
  create: (bars: BarSeries, params: z.infer<S>) => Worker;
}

/** Definitions made by definePlugin: how the loader tells a plugin export from any other export. */
const defined = new WeakSet<object>();

export function isPluginDefinition(value: unknown): value is PluginDefinition {
  return typeof value === 'object' && value !== null && defined.has(value);
}

/** Declares a plugin with params typed by its own schema; the registry stores it untyped. */
export function definePlugin<S extends z.ZodObject>(plugin: PluginDeclaration<S>): PluginDefinition {
  const definition: PluginDefinition = {
    name: plugin.name,
    phases: [plugin.phase],
    params: plugin.params,
    doc: plugin.doc,
    setsStop: plugin.setsStop ?? false,
    needsStop: plugin.needsStop ?? false,
    lookback: plugin.lookback as (params: Record<string, unknown>) => number,
    create: plugin.create as (bars: BarSeries, params: Record<string, unknown>) => Worker,
    source: null,
  };
  defined.add(definition);
  return definition;
}
