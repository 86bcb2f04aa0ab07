import { quantileSorted } from 'simple-statistics';
import { mulberry32 } from '../core/random.js';
import type { MonteCarlo, Percentiles } from './schemas.js';

/*
 * Monte Carlo of a strategy's trades: how much of its drawdown (and result) was the luck of the
 * order and mix of its trades. Each path compounds per-trade account returns on the initial capital,
 * e_k = e_{k−1}·(1 + r_k) (the caller passes each trade's return on the account it was sized from).
 * docs/metrics.md, "Monte Carlo of trades".
 */

export const DEFAULT_PATHS = 1_000;
export const DEFAULT_MC_SEED = 7;

export function tradeMonteCarlo(input: { returns: number[]; initialCapital: number; paths?: number; seed?: number }): MonteCarlo | { reason: string } {
  const { returns, initialCapital } = input;
  const paths = input.paths ?? DEFAULT_PATHS;
  const seed = input.seed ?? DEFAULT_MC_SEED;
  if (returns.length < 2) return { reason: `${returns.length} closed trade(s); reordering needs at least 2` };
  const random = mulberry32(seed);
  const order = returns.slice();
  const shuffledDrawdown = new Float64Array(paths);
  const bootDrawdown = new Float64Array(paths);
  const bootFinal = new Float64Array(paths);
  const draw = new Array<number>(returns.length);
  for (let p = 0; p < paths; p++) {
    // Fisher–Yates on the previous order: each path is a uniform permutation.
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    shuffledDrawdown[p] = compound(order, initialCapital).maxDrawdown;
    for (let i = 0; i < draw.length; i++) draw[i] = returns[Math.floor(random() * returns.length)]!;
    const boot = compound(draw, initialCapital);
    bootDrawdown[p] = boot.maxDrawdown;
    bootFinal[p] = boot.final;
  }
  const actual = compound(returns, initialCapital);
  return {
    trades: returns.length,
    paths,
    seed,
    initial_capital: initialCapital,
    actual: { final_equity: actual.final, max_drawdown: actual.maxDrawdown },
    shuffled: { max_drawdown: percentiles(shuffledDrawdown) },
    bootstrap: {
      max_drawdown: percentiles(bootDrawdown),
      final_equity: percentiles(bootFinal),
      probability_of_loss: bootFinal.filter((e) => e < initialCapital).length / paths,
    },
  };
}

/** Final equity and max drawdown (min of e / running peak − 1, the start counting as a peak) of one path. */
export function compound(returns: ArrayLike<number>, initialCapital: number): { final: number; maxDrawdown: number } {
  let equity = initialCapital;
  let peak = initialCapital;
  let maxDrawdown = 0;
  for (let i = 0; i < returns.length; i++) {
    equity *= 1 + returns[i]!;
    if (equity > peak) peak = equity;
    maxDrawdown = Math.min(maxDrawdown, equity / peak - 1);
  }
  return { final: equity, maxDrawdown };
}

/** Percentiles by linear interpolation between order statistics (numpy's default, simple-statistics' quantileSorted). */
function percentiles(values: Float64Array): Percentiles {
  const sorted = Array.from(values).sort((a, b) => a - b);
  const at = (p: number) => quantileSorted(sorted, p);
  return { p5: at(0.05), p25: at(0.25), p50: at(0.5), p75: at(0.75), p95: at(0.95) };
}
