import { z } from 'zod';

/*
 * The robustness statistics of an optimization as stored with the sweep and served by the API and
 * the CLI (docs/metrics.md, "Robustness statistics"). Sharpe ratios here are per bar (not
 * annualised), the scale the papers' formulas use. A figure that cannot be computed is null with a
 * `reason`, never a stand-in 0.
 */

export const DsrSchema = z
  .object({
    /** Operations of the sweep that ran, failed ones included: the number of trials N. */
    trials: z.number().int(),
    /** Of the trials, those with a defined Sharpe ratio (the sample of the variance). */
    trials_with_sharpe: z.number().int(),
    /** Sample variance (divisor N − 1) of the trials' per-bar Sharpe ratios. */
    sharpe_variance: z.number(),
    /** E[max SR] of N trials with that variance and no skill: the benchmark SR₀. */
    expected_max_sharpe: z.number(),
    /** The best combination's per-bar Sharpe ratio, skewness, raw kurtosis (normal = 3) and number of returns T. */
    sharpe: z.number(),
    skewness: z.number(),
    kurtosis: z.number(),
    returns: z.number().int(),
    /** The PSR statistic (SR − SR₀)·√(T − 1) / √(1 − γ₃·SR + (γ₄ − 1)/4·SR²). */
    z: z.number(),
    /** DSR = Φ(z): the probability that the best's true Sharpe ratio exceeds SR₀. */
    probability: z.number(),
  })
  .describe('Deflated Sharpe Ratio of the best combination (Bailey & López de Prado, 2014).');
export type Dsr = z.infer<typeof DsrSchema>;

export const HistogramBinSchema = z.object({ from: z.number(), to: z.number(), count: z.number().int() });

export const PboSchema = z
  .object({
    /** Operations compared (done, with block returns) and time blocks S. */
    operations: z.number().int(),
    blocks: z.number().int(),
    /** C(S, S/2) and how many of them were evaluated; fewer when sampled to bound the work. */
    combinations: z.number().int(),
    evaluated: z.number().int(),
    sampled: z.boolean(),
    /** Seed of the sample of combinations (deterministic); null when all were evaluated. */
    seed: z.number().int().nullable(),
    /** Share of combinations whose in-sample winner ranks at or below the out-of-sample median (logit ≤ 0). */
    pbo: z.number(),
    logit_mean: z.number(),
    logit_histogram: z.array(HistogramBinSchema),
    /** OLS of the IS winner's OOS Sharpe on its IS Sharpe over the combinations; slope null when IS does not vary. */
    degradation: z.object({
      slope: z.number().nullable(),
      intercept: z.number().nullable(),
      r2: z.number().nullable(),
      /** Share of combinations whose IS winner loses out of sample (OOS Sharpe < 0). */
      probability_of_loss: z.number(),
      is_sharpe_mean: z.number(),
      oos_sharpe_mean: z.number(),
    }),
  })
  .describe('Probability of Backtest Overfitting by CSCV (Bailey, Borwein, López de Prado & Zhu, 2015).');
export type Pbo = z.infer<typeof PboSchema>;

export const NeighbourSchema = z.object({
  idx: z.number().int(),
  axis: z.string(),
  /** −1 or +1: one value down or up the axis. */
  step: z.number().int(),
  /** The neighbour's primary metric; null when it has none (undefined metric, too few trades, failed); absent neighbours (not run) are not listed. */
  value: z.number().nullable(),
});

export const NeighbourhoodRowSchema = z.object({
  idx: z.number().int(),
  params: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
  value: z.number(),
  neighbours: z.array(NeighbourSchema),
  /** Over the neighbours with a value: mean, min, max; null when none has one. */
  mean: z.number().nullable(),
  min: z.number().nullable(),
  max: z.number().nullable(),
  /** Neighbour mean / the row's value when the value is > 0: near 1 is a plateau, near 0 or below a lone spike. */
  retained: z.number().nullable(),
});
export type NeighbourhoodRow = z.infer<typeof NeighbourhoodRowSchema>;

export const PercentilesSchema = z.object({ p5: z.number(), p25: z.number(), p50: z.number(), p75: z.number(), p95: z.number() });
export type Percentiles = z.infer<typeof PercentilesSchema>;

export const MonteCarloSchema = z
  .object({
    trades: z.number().int(),
    paths: z.number().int(),
    seed: z.number().int(),
    initial_capital: z.number(),
    /** Compounding the trades in their real order. */
    actual: z.object({ final_equity: z.number(), max_drawdown: z.number() }),
    /** Trade order reshuffled: the same trades (so the same final equity), another path. */
    shuffled: z.object({ max_drawdown: PercentilesSchema }),
    /** Trades drawn with replacement: other trade mixes, so final equity varies too. */
    bootstrap: z.object({ max_drawdown: PercentilesSchema, final_equity: PercentilesSchema, probability_of_loss: z.number() }),
  })
  .describe("Monte Carlo of the best combination's trades (each trade's return on the account, pnl / equity before entry, compounded on the initial capital).");
export type MonteCarlo = z.infer<typeof MonteCarloSchema>;

/** A statistic or the reason it is missing. */
const orReason = <T extends z.ZodType>(schema: T) => z.union([schema, z.object({ reason: z.string() })]);

export const SweepStatisticsSchema = z
  .object({
    sweep_id: z.string(),
    /** ISO time of the computation, and whether the sweep was still running then (figures may change). */
    computed_at: z.string(),
    partial: z.boolean(),
    primary_metric: z.string(),
    best: z.object({ idx: z.number().int(), hash: z.string(), params: NeighbourhoodRowSchema.shape.params, value: z.number() }).nullable(),
    dsr: orReason(DsrSchema),
    pbo: orReason(PboSchema),
    neighbourhood: z.array(NeighbourhoodRowSchema),
    monte_carlo: orReason(MonteCarloSchema),
    /** One line per statistic saying what it means for the best row. */
    readings: z.array(z.string()),
    /** How long the computation took (ms), and how many operations' block returns were recomputed because the store had none usable. */
    elapsed_ms: z.number(),
    blocks_recomputed: z.number().int(),
  })
  .describe('How far to trust the best row of an optimization: DSR, PBO, neighbourhood stability, Monte Carlo of trades.');
export type SweepStatistics = z.infer<typeof SweepStatisticsSchema>;
