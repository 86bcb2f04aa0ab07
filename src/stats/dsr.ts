import { sampleKurtosis, sampleSkewness, sampleVariance } from 'simple-statistics';
import { normalCdf, normalQuantile } from './normal.js';
import type { Dsr } from './schemas.js';
import { sharpeFromSums } from './sharpe.js';

/*
 * The Deflated Sharpe Ratio: the Probabilistic Sharpe Ratio of the selected strategy against the
 * Sharpe ratio the best of N skill-less trials would reach by luck alone.
 * @see Bailey, D. H. & López de Prado, M. (2014). The Deflated Sharpe Ratio: Correcting for Selection
 *   Bias, Backtest Overfitting and Non-Normality. Journal of Portfolio Management 40(5), 94–107.
 * docs/metrics.md, "Deflated Sharpe Ratio".
 */

/** The Euler–Mascheroni constant γ. */
export const EULER_GAMMA = 0.5772156649015329;

/**
 * E[max SR] of `trials` independent skill-less strategies whose Sharpe ratios have variance
 * `variance`: √V · ((1 − γ)·Φ⁻¹(1 − 1/N) + γ·Φ⁻¹(1 − 1/(N·e))). One trial selects nothing: 0.
 */
export function expectedMaxSharpe(trials: number, variance: number): number {
  if (trials < 2) return 0;
  return Math.sqrt(variance) * ((1 - EULER_GAMMA) * normalQuantile(1 - 1 / trials) + EULER_GAMMA * normalQuantile(1 - 1 / (trials * Math.E)));
}

/**
 * The PSR statistic z = (SR − SR*)·√(T − 1) / √(1 − γ₃·SR + (γ₄ − 1)/4·SR²) of a per-bar Sharpe ratio
 * SR measured over T returns with skewness γ₃ and raw kurtosis γ₄; PSR = Φ(z). null when the
 * variance term is not positive (possible only for extreme skewness).
 */
export function psrStatistic(sharpe: number, benchmark: number, returns: number, skewness: number, kurtosis: number): number | null {
  const spread = 1 - skewness * sharpe + ((kurtosis - 1) / 4) * sharpe * sharpe;
  if (!(spread > 0)) return null;
  return ((sharpe - benchmark) * Math.sqrt(returns - 1)) / Math.sqrt(spread);
}

/**
 * The DSR of the best combination. `trials` counts every operation that ran (failed ones too: each
 * was a trial the researcher could have picked); `trialSharpes` are the per-bar Sharpe ratios of
 * those that have one; `returns` the best's per-bar returns. Skewness and kurtosis are
 * simple-statistics' adjusted sample estimators (`sampleSkewness`, and `sampleKurtosis` + 3, since
 * that one is excess kurtosis and the paper's γ₄ is raw).
 */
export function deflatedSharpe(input: { trials: number; trialSharpes: ArrayLike<number>; returns: number[] }): Dsr | { reason: string } {
  const { trials, returns } = input;
  const sharpes = Array.from(input.trialSharpes);
  if (returns.length < 4) return { reason: `the best has ${returns.length} returns; skewness and kurtosis need at least 4` };
  if (sharpes.length < 2) return { reason: `${sharpes.length} trial(s) have a Sharpe ratio; its variance needs at least 2` };
  let s = 0;
  let q = 0;
  for (const r of returns) {
    s += r;
    q += r * r;
  }
  const sharpe = sharpeFromSums(returns.length, s, q);
  if (sharpe === null) return { reason: "the best's returns do not vary, so its Sharpe ratio is undefined" };
  const skewness = sampleSkewness(returns);
  const kurtosis = sampleKurtosis(returns) + 3;
  const variance = sampleVariance(sharpes);
  const benchmark = expectedMaxSharpe(trials, variance);
  const z = psrStatistic(sharpe, benchmark, returns.length, skewness, kurtosis);
  if (z === null) return { reason: `1 − γ₃·SR + (γ₄ − 1)/4·SR² is not positive (skewness ${skewness.toFixed(3)}, SR ${sharpe.toFixed(4)})` };
  return {
    trials,
    trials_with_sharpe: sharpes.length,
    sharpe_variance: variance,
    expected_max_sharpe: benchmark,
    sharpe,
    skewness,
    kurtosis,
    returns: returns.length,
    z,
    probability: normalCdf(z),
  };
}
