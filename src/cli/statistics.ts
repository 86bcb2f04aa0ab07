import { computeSweepStatistics } from '../services/statistics.js';
import { NotFoundError } from '../config/errors.js';
import { dataRootFromEnv } from '../data/paths.js';
import type { SweepStatistics } from '../stats/schemas.js';
import { openStore } from '../store/index.js';
import { table } from './format.js';

/*
 * `sweeplab statistics <id>`: the robustness statistics of an optimization (docs/metrics.md) as
 * stored when it completed, or computed now with --compute (also while it runs). Needs the store
 * only, not Temporal. `status` and `results` print the one-line readings.
 */

export async function statisticsCommand(id: string, opts: { compute?: boolean; json?: boolean }): Promise<number> {
  const store = await openStore();
  try {
    await store.migrate();
    let statistics = await store.getStatistics(id);
    if (opts.compute) {
      statistics = await computeSweepStatistics({ store, dataRoot: dataRootFromEnv() }, id);
      await store.saveStatistics(statistics);
    }
    if (!statistics) throw new NotFoundError('sweep', id, 'has no robustness statistics yet (they are computed right after an optimization completes; --compute computes them now)');
    process.stdout.write(opts.json ? `${JSON.stringify(statistics)}\n` : `${statisticsReport(statistics)}\n`);
    return 0;
  } finally {
    await store.close();
  }
}

/** The readings under a heading: what `status` and `results` print. */
export function readingLines(s: SweepStatistics): string {
  const when = `${s.partial ? 'while running, ' : ''}${s.computed_at.replace('T', ' ').replace(/\..*$/, '')} UTC`;
  return [`How far to trust the best row (${when}):`, ...s.readings.map((r) => `  ${r}`)].join('\n');
}

const n4 = (x: number | null | undefined) => (x === null || x === undefined ? '—' : x.toFixed(4));
const pct = (x: number) => `${(x * 100).toFixed(1)} %`;

export function statisticsReport(s: SweepStatistics): string {
  const out = [readingLines(s), ''];
  if (!('reason' in s.dsr)) {
    const d = s.dsr;
    out.push(
      'Deflated Sharpe Ratio (per-bar Sharpe ratios)',
      table(
        ['trials N', 'with SR', 'V[SR]', 'E[max SR]', 'SR best', 'skew', 'kurt', 'T', 'z', 'DSR'],
        [[d.trials, d.trials_with_sharpe, d.sharpe_variance, d.expected_max_sharpe, d.sharpe, d.skewness, d.kurtosis, d.returns, d.z, d.probability].map((v, i) => (i === 0 || i === 1 || i === 7 ? String(v) : n4(v)))],
      ),
      '',
    );
  }
  if (!('reason' in s.pbo)) {
    const p = s.pbo;
    out.push(
      `PBO by CSCV: ${p.operations} operations, ${p.blocks} blocks, ${p.evaluated} of ${p.combinations} splits${p.sampled ? ` (sampled, seed ${p.seed})` : ''}`,
      table(
        ['PBO', 'mean logit', 'OOS~IS slope', 'intercept', 'R²', 'P(OOS loss)', 'IS SR', 'OOS SR'],
        [[pct(p.pbo), n4(p.logit_mean), n4(p.degradation.slope), n4(p.degradation.intercept), n4(p.degradation.r2), pct(p.degradation.probability_of_loss), n4(p.degradation.is_sharpe_mean), n4(p.degradation.oos_sharpe_mean)]],
      ),
      'logit histogram:',
      ...histogramLines(p.logit_histogram),
      '',
    );
  }
  if (s.neighbourhood.length) {
    out.push(
      `Neighbourhood stability (${s.primary_metric} of the grid neighbours, one step along each axis)`,
      table(
        ['#', 'params', 'value', 'neighbours', 'mean', 'min', 'kept'],
        s.neighbourhood.map((r) => [
          String(r.idx),
          Object.entries(r.params).map(([k, v]) => `${k}=${v}`).join(' '),
          n4(r.value),
          String(r.neighbours.length),
          n4(r.mean),
          n4(r.min),
          r.retained === null ? '—' : pct(r.retained),
        ]),
      ),
      '',
    );
  }
  if (!('reason' in s.monte_carlo)) {
    const m = s.monte_carlo;
    const row = (name: string, q: { p5: number; p25: number; p50: number; p75: number; p95: number }, f: (x: number) => string) => [name, ...[q.p5, q.p25, q.p50, q.p75, q.p95].map(f)];
    out.push(
      `Monte Carlo of the best's ${m.trades} trades (${m.paths} paths, seed ${m.seed}; as traded: final ${m.actual.final_equity.toFixed(2)}, max drawdown ${pct(m.actual.max_drawdown)})`,
      table(
        ['', 'p5', 'p25', 'p50', 'p75', 'p95'],
        [
          row('max drawdown, reshuffled', m.shuffled.max_drawdown, pct),
          row('max drawdown, bootstrap', m.bootstrap.max_drawdown, pct),
          row('final equity, bootstrap', m.bootstrap.final_equity, (x) => x.toFixed(2)),
        ],
      ),
    );
  }
  return out.join('\n').trimEnd();
}

function histogramLines(bins: Array<{ from: number; to: number; count: number }>): string[] {
  const most = Math.max(...bins.map((b) => b.count));
  return bins.map((b) => `  ${b.from.toFixed(2).padStart(7)} … ${b.to.toFixed(2).padStart(6)}  ${'█'.repeat(Math.round((b.count / most) * 40)).padEnd(40)} ${b.count}`);
}
