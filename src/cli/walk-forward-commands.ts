import fs from 'node:fs';
import { checkSweepId } from '../client/sweep-id.js';
import { walkForwardReport, type WalkForwardReport } from '../client/walk-forwards.js';
import { NotFoundError } from '../config/errors.js';
import type { WalkForwardSpec } from '../config/walk-forward-spec.js';
import { loadWalkForwardFile, type LoadedWalkForward } from '../config/walk-forward.js';
import { dataRootFromEnv, rootRelative } from '../data/paths.js';
import type { Store } from '../store/types.js';
import { formatMetric, table } from './format.js';
import { outcomeCode, summaryLine, watch, withSweeps } from './sweep-commands.js';

/*
 * `sweeplab walk-forward file.yaml [--wait] [--json]`, and the walk-forward's report for `results`.
 * `status`, `pause`, `resume` and `cancel` work on a walk-forward's id as on any sweep's.
 */

/** The walk-forward a file describes, named by its path in the workspace (never the server's), and its plugin bundle. */
export function loadWalkForwardCommandFile(file: string): LoadedWalkForward {
  const dataRoot = dataRootFromEnv();
  const loaded = loadWalkForwardFile(file, { dataRoot });
  return { ...loaded, spec: { ...loaded.spec, file: rootRelative(dataRoot, fs.realpathSync(file)) } };
}

export async function walkForwardCommand(file: string, opts: { wait?: boolean; json?: boolean; id?: string }): Promise<number> {
  if (opts.id !== undefined) checkSweepId(opts.id, '--id');
  const { spec, bundle } = loadWalkForwardCommandFile(file);
  if (!opts.json) process.stderr.write(`${planLine(spec)}\n`);
  return withSweeps(async (sweeps, store) => {
    const { id } = await sweeps.submit(spec, { id: opts.id, bundle });
    if (!opts.wait) {
      process.stdout.write(opts.json ? `${JSON.stringify({ id, windows: spec.windows.length })}\n` : `${id}\n`);
      return 0;
    }
    if (!opts.json) process.stderr.write(`submitted walk-forward "${spec.name}" as ${id}\n`);
    const view = await watch(sweeps, id, { quiet: opts.json });
    const report = await storedReport(store, id);
    if (opts.json) {
      process.stdout.write(`${JSON.stringify({ id, status: view.status, windows: spec.windows.length, completed: view.done, stitched: report.stitched })}\n`);
    } else {
      process.stdout.write(`${summaryLine(view)}\n\n${reportText(report)}\n`);
    }
    return outcomeCode(view);
  });
}

/** "16 windows: in-sample 2y, out-of-sample 6m, step 6m, rolling; …": what the file amounts to. */
export function planLine(spec: WalkForwardSpec): string {
  const first = spec.windows[0]!;
  const last = spec.windows[spec.windows.length - 1]!;
  const { plan } = spec;
  return (
    `${spec.windows.length} window${spec.windows.length === 1 ? '' : 's'}: in-sample ${plan.in_sample}, out-of-sample ${plan.out_of_sample}, step ${plan.step}, ${plan.mode}; ` +
    `out of sample from ${day(first.oos_start)} to ${day(last.oos_end)}; warm-up ${spec.warmup_bars} bars; ${spec.optimization.admissible} combinations per window`
  );
}

/** `results <id>` of a walk-forward (its sweeps row exists: the caller found it). */
export async function walkForwardResults(store: Store, id: string, format: string): Promise<void> {
  const report = await storedReport(store, id);
  process.stdout.write(format === 'json' ? `${JSON.stringify(report)}\n` : `${reportText(report)}\n`);
}

async function storedReport(store: Store, id: string): Promise<WalkForwardReport> {
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
function day(iso: string): string {
  return iso.endsWith('T00:00:00.000Z') ? iso.slice(0, 10) : iso.replace('.000Z', 'Z');
}
