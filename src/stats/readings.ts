import type { Dsr, MonteCarlo, NeighbourhoodRow, Pbo } from './schemas.js';

/*
 * One line per statistic saying what it means for the best row, for the page and the CLI. The
 * thresholds are reading aids, not tests: the figures beside them are what to judge by.
 * docs/metrics.md, "Reading the statistics".
 */

/** The reason every statistic gives when no operation of the sweep made a trade. */
export const NOTHING_TRADED = 'no operation traded: nothing to judge';

const pct = (x: number) => `${Math.round(x * 100)} %`;
const pct1 = (x: number) => `${(x * 100).toFixed(1)} %`;
const f2 = (x: number) => x.toFixed(2);

export function pboReading(pbo: Pbo | { reason: string }): string {
  if ('reason' in pbo) return `PBO not computed: ${pbo.reason}`;
  const head = `PBO ${f2(pbo.pbo)}`;
  const sample = pbo.sampled ? ` (${pbo.evaluated.toLocaleString('en-US')} of ${pbo.combinations.toLocaleString('en-US')} splits, seeded sample)` : '';
  const body =
    pbo.pbo > 0.5
      ? 'the in-sample winner is more likely than not to underperform out of sample'
      : pbo.pbo >= 0.2
        ? `the in-sample winner falls below the out-of-sample median in ${pct(pbo.pbo)} of splits: part of its edge is selection`
        : 'the in-sample winner mostly stays above the out-of-sample median: little sign of overfitting';
  return `${head}: ${body}${sample}`;
}

export function dsrReading(dsr: Dsr | { reason: string }): string {
  if ('reason' in dsr) return `DSR not computed: ${dsr.reason}`;
  const verdict =
    dsr.probability >= 0.95
      ? 'significant at 95 % after deflating for the trials'
      : 'not significant at 95 %: luck over this many trials explains it';
  return `DSR ${f2(dsr.probability)}: the best's Sharpe ${dsr.sharpe.toFixed(3)} per bar vs ${dsr.expected_max_sharpe.toFixed(3)} expected from the best of ${dsr.trials.toLocaleString('en-US')} skill-less trials, ${verdict}`;
}

export function neighbourhoodReading(row: NeighbourhoodRow | undefined, metric: string): string {
  if (!row) return 'Neighbourhood: no ranked row';
  if (row.mean === null) return `Neighbourhood: the best has no grid neighbour with a ${metric}`;
  const figures = `neighbours' ${metric} averages ${f2(row.mean)} (min ${f2(row.min!)}) vs ${f2(row.value)}`;
  if (row.retained === null) return `Neighbourhood: ${figures}`;
  const shape = row.retained >= 0.7 ? 'a plateau' : row.retained >= 0.3 ? 'a slope' : 'a lone spike';
  return `Neighbourhood: ${shape}, ${figures} (${pct(row.retained)} kept)`;
}

export function monteCarloReading(mc: MonteCarlo | { reason: string }): string {
  if ('reason' in mc) return `Monte Carlo not computed: ${mc.reason}`;
  return (
    `Monte Carlo (${mc.paths} paths): max drawdown ${pct1(mc.actual.max_drawdown)} as traded, ${pct1(mc.shuffled.max_drawdown.p5)} in the worst 5 % of trade orders; ` +
    `resampled trades lose money in ${pct(mc.bootstrap.probability_of_loss)} of paths`
  );
}
