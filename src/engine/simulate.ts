import type { Environment } from './schemas.js';
import { isoTime } from './bar-times.js';
import type { BarSeries } from './bars.js';
import type { ResolvedWorkforce } from './plugins/resolve.js';
import type { ExitLevels, Side } from './plugins/types.js';
import type { BacktestResult, Trade } from './result.js';

export type SimulationSettings = Pick<Environment, 'initial_capital' | 'fees_pct' | 'slippage_pct' | 'fill' | 'close_at_end'>;

export interface Simulation {
  /** Equity (cash + position × close) at every bar's close, after that bar's fills. */
  readonly equity: number[];
  readonly trades: Trade[];
  readonly openTrade: BacktestResult['open_trade'];
  /** Bars whose close found a position open (after that bar's fills). */
  readonly barsInMarket: number;
}

type ExitReason = Trade['exit_reason'];

/**
 * Runs the bar loop. Each bar t, in this order (docs/plugins.md, "Execution"):
 *  1. At the open: orders from bar t − 1 under `fill: next_open` fill at open[t], the exit before
 *     the entry (a reversal); then a working limit order fills if the bar reaches its price.
 *  2. During the bar: the stop and target of the open position, checked on high/low. A bar opening
 *     beyond a level fills at the open (worse for a stop, better for a target; the open is the
 *     bar's first price, so it decides); otherwise the stop is checked before the target, because
 *     high/low do not say which came first. A position entered at this open is checked too (the
 *     rest of the bar follows the fill); a limit fill checks its target only from the next bar.
 *  3. At the close: time exits, then the trailing stop takes in the bar's range for the next bar.
 *  4. At the close: the signal of bar t (only from `firstBar` on). `fill: close` fills at close[t]
 *     now; `next_open` queues for open[t + 1], and a signal at the last bar never fills.
 *  5. Equity is marked at the close.
 * Decisions at bar t read bars ≤ t only (indicators are causal, fills at t + 1 read bar t + 1 at
 * that bar), so nothing looks ahead.
 * Money: fees are fees_pct % of each side's notional, paid from cash; slippage moves every fill
 * price (entries, exits, stops, targets) slippage_pct % against the trader. A short's proceeds go
 * to cash, so equity = cash − units × close; there is no margin model.
 */
export function simulate(bars: BarSeries, workforce: ResolvedWorkforce, settings: SimulationSettings): Simulation {
  const { events, direction, filters, entry, exits, sizer, firstBar } = workforce;
  const { open, high, low, close } = bars;
  const n = bars.length;
  const feeRate = settings.fees_pct / 100;
  const slip = settings.slippage_pct / 100;
  const fillAtClose = settings.fill === 'close';
  // A plain array, because the result carries one: a second 40 MB copy for 5 M bars costs more than the loop.
  const equity = new Array<number>(n);
  const trades: Trade[] = [];
  const levels: ExitLevels = { stop: 0, target: 0, trailPct: 0, maxBars: 0 };

  let cash = settings.initial_capital;
  let barsInMarket = 0;
  let lastExitBar = -Infinity;

  // The open position: side 0 when flat; size in units (> 0).
  let side: 0 | Side = 0;
  let size = 0;
  let entryPrice = 0;
  let entryFee = 0;
  let entryBar = 0;
  let stop = 0; // fixed stop, ∓Infinity when none
  let target = 0; // ±Infinity when none
  let trailPct = Infinity;
  let trailRef = 0; // best price since entry
  let trailStop = 0; // ∓Infinity when no trailing stop
  let maxBars = Infinity;
  let initialStop = 0;
  let targetFrom = 0; // first bar on which the target may fill

  // Orders waiting for the next open (fill: next_open).
  let pendingExit: ExitReason | null = null;
  let pendingEntry: 0 | Side = 0;
  // A working limit order.
  let limitSide: 0 | Side = 0;
  let limitPrice = 0;
  let limitSignalBar = 0;
  let limitLastBar = 0;

  function enter(bar: number, rawPrice: number, dir: Side, signalBar: number): void {
    const price = rawPrice * (1 + dir * slip);
    levels.stop = -dir * Infinity;
    levels.target = dir * Infinity;
    levels.trailPct = Infinity;
    levels.maxBars = Infinity;
    for (const exit of exits) exit.plan(dir, price, signalBar, levels);
    const trail = levels.trailPct === Infinity ? -dir * Infinity : price * (1 - (dir * levels.trailPct) / 100);
    const firstStop = dir * trail > dir * levels.stop ? trail : levels.stop;
    // Flat here, so equity is the cash.
    const units = sizer.size(cash, price, firstStop, feeRate);
    if (!(units > 0)) return;
    const notional = units * price;
    entryFee = notional * feeRate;
    cash -= dir * notional + entryFee;
    side = dir;
    size = units;
    entryPrice = price;
    entryBar = bar;
    stop = levels.stop;
    target = levels.target;
    trailPct = levels.trailPct;
    trailRef = price;
    trailStop = trail;
    maxBars = levels.maxBars;
    initialStop = firstStop;
    targetFrom = bar;
  }

  function exit(bar: number, rawPrice: number, reason: ExitReason): void {
    if (side === 0) throw new Error('exit without a position');
    const price = rawPrice * (1 - side * slip);
    const notional = size * price;
    const fee = notional * feeRate;
    cash += side * notional - fee;
    const pnl = side * (price - entryPrice) * size - entryFee - fee;
    trades.push({
      direction: side === 1 ? 'long' : 'short',
      entry_time: isoTime(bars, entryBar),
      exit_time: isoTime(bars, bar),
      entry_price: entryPrice,
      exit_price: price,
      sl: Number.isFinite(initialStop) ? initialStop : null,
      tp: Number.isFinite(target) ? target : null,
      size,
      pnl,
      return_pct: pnl / (size * entryPrice),
      exit_reason: reason,
      entry_bar: entryBar,
      exit_bar: bar,
    });
    side = 0;
    size = 0;
    lastExitBar = bar;
  }

  /** The close-of-bar decision on a non-zero event `e` at bar t. */
  function decide(t: number, e: Side): void {
    if (limitSide === -e) limitSide = 0; // an opposite event cancels a working limit order
    const closes = side === -e;
    let enters = (direction === 'both' || (direction === 'long') === (e === 1)) && side !== e && limitSide !== e;
    for (let i = 0; enters && i < filters.length; i++) enters = filters[i].allowsEntry(t, e, lastExitBar);
    const reason: ExitReason = enters ? 'reverse' : 'signal';
    const limit = enters ? entry.limitPrice(e, t) : NaN;
    if (!Number.isNaN(limit)) {
      // Limit orders work from bar t + 1 whatever the fill rule.
      limitSide = e;
      limitPrice = limit;
      limitSignalBar = t;
      limitLastBar = t + entry.validBars;
    }
    if (fillAtClose) {
      if (closes) exit(t, close[t], reason);
      if (enters && Number.isNaN(limit)) {
        enter(t, close[t], e, t);
        targetFrom = t + 1;
      }
    } else if (t < n - 1) {
      if (closes) pendingExit = reason;
      if (enters && Number.isNaN(limit)) pendingEntry = e;
    }
  }

  for (let t = 0; t < n; t++) {
    const o = open[t];
    // 1. At the open.
    if (pendingExit !== null) {
      exit(t, o, pendingExit);
      pendingExit = null;
    }
    if (pendingEntry !== 0) {
      enter(t, o, pendingEntry, t - 1);
      pendingEntry = 0;
    }
    if (limitSide !== 0) {
      if (t > limitLastBar) limitSide = 0;
      else if (limitSide === 1 ? low[t] <= limitPrice : high[t] >= limitPrice) {
        enter(t, limitSide === 1 ? Math.min(o, limitPrice) : Math.max(o, limitPrice), limitSide, limitSignalBar);
        targetFrom = t + 1;
        limitSide = 0;
      }
    }
    // 2. During the bar: stop (fixed or trailing, the tighter), then target.
    if (side !== 0) {
      const trailing = side * trailStop > side * stop;
      const level = trailing ? trailStop : stop;
      const adverse = side === 1 ? low[t] : high[t];
      const favorable = side === 1 ? high[t] : low[t];
      const stopReason: ExitReason = trailing ? 'trailing_stop' : 'stop';
      if (side * o <= side * level) exit(t, o, stopReason);
      else if (side * adverse <= side * level) exit(t, level, stopReason);
      else if (t >= targetFrom) {
        if (side * o >= side * target) exit(t, o, 'target');
        else if (side * favorable >= side * target) exit(t, target, 'target');
      }
    }
    // 3. At the close: time exit, then the trailing stop for the next bar.
    if (side !== 0 && t >= entryBar + maxBars) exit(t, close[t], 'time');
    if (side !== 0 && trailPct !== Infinity) {
      trailRef = side === 1 ? Math.max(trailRef, high[t]) : Math.min(trailRef, low[t]);
      trailStop = trailRef * (1 - (side * trailPct) / 100);
    }
    // 4. The signal of this bar.
    if (t >= firstBar) {
      const e = events[t];
      if (e !== 0) decide(t, e as Side);
    }
    // 5. Mark to market.
    if (t === n - 1 && side !== 0 && settings.close_at_end) exit(t, close[t], 'end');
    equity[t] = cash + side * size * close[t];
    if (side !== 0) barsInMarket++;
  }

  let openTrade: BacktestResult['open_trade'] = null;
  if (side !== 0) {
    // Marked at the last close, net of the entry fee only (the exit fee is not paid yet).
    const pnl = side * (close[n - 1] - entryPrice) * size - entryFee;
    openTrade = {
      direction: side === 1 ? 'long' : 'short',
      entry_time: isoTime(bars, entryBar),
      entry_price: entryPrice,
      sl: Number.isFinite(initialStop) ? initialStop : null,
      tp: Number.isFinite(target) ? target : null,
      size,
      pnl,
      return_pct: pnl / (size * entryPrice),
      entry_bar: entryBar,
    };
  }
  return { equity, trades, openTrade, barsInMarket };
}
