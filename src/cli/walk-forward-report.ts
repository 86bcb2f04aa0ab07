import { walkForwardReport, type WalkForwardReport } from '../client/walk-forwards.js';
import { NotFoundError } from '../config/errors.js';
import type { Store } from '../store/types.js';
import { formatMetric, table } from './format.js';

/*
 * A walk-forward's report for `results <id>`, in a module of its own: `results` (src/cli/sweep-commands.ts)
 * prints it, and the `walk-forward` command waits with the sweep commands' `watch`, so neither command
 * file imports the other.
 */

/** `results <id>` of a walk-forward (its sweeps row exists: the caller found it). */
export async function walkForwardResults(store: Store, id: string, format: string): Promise<void> {
  const report = await storedReport(store, id);
  process.stdout.write(format === 'json' ? `${JSON.stringify(report)}\n` : `${reportText(report)}\n`);
}

export async function storedReport(store: Store, id: string): Promise<WalkForwardReport> {
  const report = await walkForwardReport(store, id);
  if (!report) throw new NotFoundError('walk-forward', id, 'is not in the results store (unknown id, or no worker has started it)');
  return report;
}

const WINDOW_METRICS = ['cagr', 'sharpe_ratio', 'max_drawdown', 'total_trades'] as const;

export function reportText(report: WalkForwardReport): string {
  const metric = report.primary_metric;
  const windows = table(
    ['w', 'in-sample', 'out-of-sample', ...report.param_names, `IS ${metric}`, `OOS ${metric}`, 'IS cagr', 'OOS cagr', 'OOS return', 'WFE'],
    report.windows.map((w) => [
      String(w.k),
      `${day(w.is_start)}..${day(w.is_end)}`,
      `${day(w.oos_start)}..${day(w.oos_end)}`,
      ...report.param_names.map((p) => (w.status === 'pending' ? '…' : w.params ? String(w.params[p]) : '(none)')),
      formatMetric(metric, w.in_sample?.[metric as keyof typeof w.in_sample]),
      formatMetric(metric, w.out_of_sample?.[metric as keyof typeof w.out_of_sample]),
      formatMetric('cagr', w.in_sample?.cagr),
      formatMetric('cagr', w.out_of_sample?.cagr),
      formatMetric('total_return', w.out_of_sample?.total_return),
      formatMetric('efficiency', w.efficiency),
    ]),
  );
  if (!report.stitched) return `${windows}\nno window has finished yet`;
  const { metrics, efficiency, stability } = report.stitched;
  const stitched = `stitched out of sample (${report.stitched.windows} of ${report.windows.length} windows): ${WINDOW_METRICS.concat()
    .map((m) => `${m} ${formatMetric(m, metrics[m])}`)
    .join(', ')}, total_return ${formatMetric('total_return', metrics.total_return)}, walk-forward efficiency ${formatMetric('efficiency', efficiency)}`;
  const params = table(
    ['param', 'chosen per window', 'distinct', 'mode', 'mode share', 'cv'],
    Object.entries(stability).map(([label, s]) => [
      label,
      s.values.map((v) => (v === null ? '–' : String(v))).join(' '),
      String(s.distinct),
      String(s.mode),
      formatMetric('win_rate', s.mode_share),
      formatMetric('cv', s.cv),
    ]),
  );
  return `${windows}\n\n${stitched}\n\nparameter stability:\n${params}`;
}

/** The date of an ISO time, when the time is midnight (daily bars); the time otherwise. */
export function day(iso: string): string {
  return iso.endsWith('T00:00:00.000Z') ? iso.slice(0, 10) : iso.replace('.000Z', 'Z');
}
