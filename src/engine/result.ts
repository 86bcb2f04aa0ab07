import { z } from 'zod';

/**
 * Every metric a backtest reports. Fractions, not percent (0.12 is 12 %); `null` where the metric
 * is undefined (no trades, no deviation, no losing trade). Formulas: docs/metrics.md.
 */
export const METRIC_NAMES = [
  'final_equity',
  'total_return',
  'cagr',
  'sharpe_ratio',
  'sortino_ratio',
  'max_drawdown',
  'calmar_ratio',
  'win_rate',
  'profit_factor',
  'total_trades',
  'avg_trade_duration',
  'expectancy',
  'exposure',
  'sqn',
] as const;

export const MetricNameSchema = z.enum(METRIC_NAMES);
export type MetricName = z.infer<typeof MetricNameSchema>;

export const MetricsSchema = z.object(
  Object.fromEntries(METRIC_NAMES.map((name) => [name, z.number().nullable()])) as Record<
    MetricName,
    z.ZodNullable<z.ZodNumber>
  >,
);
export type Metrics = z.infer<typeof MetricsSchema>;

/** A timestamped series as two parallel arrays: `t` in epoch milliseconds (UTC), `v` the values. */
export const CurveSchema = z.object({
  t: z.array(z.number()),
  v: z.array(z.number()),
});
export type Curve = z.infer<typeof CurveSchema>;

export const TradeSchema = z.object({
  direction: z.enum(['long', 'short']),
  /** ISO 8601 UTC time of the entry and exit fills. */
  entry_time: z.string(),
  exit_time: z.string(),
  /** Fill prices including slippage. */
  entry_price: z.number(),
  exit_price: z.number(),
  /** Stop-loss and take-profit levels set at entry; null when the exit plan set none. */
  sl: z.number().nullable(),
  tp: z.number().nullable(),
  /** Units held (always positive; `direction` gives the side). */
  size: z.number(),
  /** Profit or loss in account currency, net of both sides' fees. */
  pnl: z.number(),
  /** pnl divided by the entry notional (fraction). */
  return_pct: z.number(),
  /** Why the trade closed. */
  exit_reason: z.enum(['stop', 'target', 'signal', 'reverse', 'time', 'trailing_stop', 'end']),
  entry_bar: z.number().int(),
  exit_bar: z.number().int(),
});
export type Trade = z.infer<typeof TradeSchema>;

export const BacktestResultSchema = z.object({
  metrics: MetricsSchema,
  /** Account equity marked to market at every bar's close. */
  equity: CurveSchema,
  /** Equity / running peak − 1 at every bar's close (≤ 0). */
  drawdown: CurveSchema,
  trades: z.array(TradeSchema),
  /** The trade still open at the end when `close_at_end` is false; it counts in equity only. */
  open_trade: TradeSchema.omit({ exit_time: true, exit_price: true, exit_reason: true, exit_bar: true }).nullable(),
  bars: z.number().int(),
  start: z.string(),
  end: z.string(),
});
export type BacktestResult = z.infer<typeof BacktestResultSchema>;
