import type { WalkForwardSpec } from '../config/walk-forward-spec.js';
import { formatMetric, paramText } from '../engine/format.js';
import { staticMetadata, sweepSections, sweepSummary, type StaticMetadata, type SweepHeadline } from './details.js';
import type { WindowSummary } from './walk-forward-types.js';

/*
 * What the Temporal UI shows of a walk-forward (docs/cli.md, "Watching sweeps in the Temporal UI"), in
 * the sweeps' shapes: a static summary and details set at start, current details kept up to date by
 * the workflow. Pure and deterministic, like src/workflows/details.ts.
 */

/** Counted in grid backtests: every window runs the whole admissible grid in sample. */
export function walkForwardHeadline(spec: WalkForwardSpec): SweepHeadline {
  return { kind: spec.kind, name: spec.name, operations: spec.windows.length * spec.optimization.admissible, primary_metric: spec.optimization.primary_metric };
}

export function walkForwardStaticMetadata(spec: WalkForwardSpec, pageUrl: string): StaticMetadata {
  const { plan, windows } = spec;
  const first = windows[0]!;
  const last = windows[windows.length - 1]!;
  const layout =
    `**Windows**: ${windows.length}, in sample ${plan.in_sample}, out of sample ${plan.out_of_sample}, step ${plan.step}, ${plan.mode}; ` +
    `out of sample from ${first.oos_start} to ${last.oos_end}; warm-up ${spec.warmup_bars} bars; window k's optimization is the child \`<id>-w<k>\``;
  return staticMetadata(walkForwardHeadline(spec), [`\`${spec.file}\``, layout, ...sweepSections(spec.optimization)], pageUrl);
}

/** The current details: the phase, the windows done and in flight, and the latest window's choice. */
export function walkForwardDetails(spec: WalkForwardSpec, phase: string, done: WindowSummary[], running: number[]): string {
  const metric = spec.optimization.primary_metric;
  const latest = done.reduce<WindowSummary | null>((a, w) => (a === null || w.k > a.k ? w : a), null);
  const choice = latest
    ? `window ${latest.k}: ${latest.params ? paramText(latest.params) : 'nothing qualified in sample'} · ${metric} in sample ${formatMetric(metric, latest.is_value)}, out of sample ${formatMetric(metric, latest.oos_value)} · out-of-sample return ${formatMetric('total_return', latest.oos_return)}`
    : 'none yet';
  return [
    sweepSummary(walkForwardHeadline(spec)),
    `**${phase}**`,
    `windows done ${done.length} of ${spec.windows.length} · in flight ${running.length ? running.map((k) => `w${k}`).join(', ') : 'none'}`,
    `latest: ${choice}`,
  ]
    .map((line) => `- ${line}`)
    .join('\n');
}
