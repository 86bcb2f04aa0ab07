import { comboAt } from '../config/grid.js';
import { operationCount, type SweepSpec } from '../config/sweep.js';
import type { PluginEntry, Workforce } from '../config/schemas.js';
import { formatDuration, formatMetric, paramText } from '../engine/format.js';
import type { RankedOperation } from './types.js';

/*
 * What the Temporal UI shows of a sweep (docs/cli.md, "Watching sweeps in the Temporal UI"): the
 * static summary and details set at start, the current details the workflow keeps up to date, and a
 * summary on each pack's activity. Pure and deterministic: the workflow builds its parts from its
 * state and workflow time, the client builds the static parts from the spec. Nothing here may name
 * a server path; files are named relative to the data root, as the spec holds them.
 */

/** What every sweep kind (optimization, variant test, walk-forward …) is listed by. */
export interface SweepHeadline {
  kind: string;
  name: string;
  /** Operations the sweep runs (after constraints). */
  operations: number;
  primary_metric: string;
}

export interface StaticMetadata {
  staticSummary: string;
  staticDetails: string;
}

/** The result page of a sweep, served by the API at `publicUrl`. */
export function sweepPageUrl(publicUrl: string, id: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/#/sweeps/${encodeURIComponent(id)}`;
}

/** One line: `optimization · sma grid · 480 operations · sharpe_ratio`. */
export function sweepSummary(h: SweepHeadline): string {
  const operations = `${h.operations} operation${h.operations === 1 ? '' : 's'}`;
  return [h.kind.replace(/_/g, ' '), h.name, operations, h.primary_metric].join(' · ');
}

/**
 * Summary and details of any sweep kind: the headline, the kind's own Markdown sections (what is
 * swept, which rows count) and the link to its page. Later kinds pass their sections here.
 */
export function staticMetadata(h: SweepHeadline, sections: string[], pageUrl: string): StaticMetadata {
  return {
    staticSummary: sweepSummary(h),
    staticDetails: [...sections, `[Results page](${pageUrl})`].join('\n\n'),
  };
}

export function sweepHeadline(spec: SweepSpec): SweepHeadline {
  return { kind: spec.kind, name: spec.name, operations: operationCount(spec), primary_metric: spec.primary_metric };
}

export function sweepStaticMetadata(spec: SweepSpec, pageUrl: string): StaticMetadata {
  return staticMetadata(sweepHeadline(spec), sweepSections(spec), pageUrl);
}

/** The Markdown sections of an optimization or variant test: what runs, on what, and what counts. */
export function sweepSections(spec: SweepSpec): string[] {
  const { base } = spec;
  const source = `\`${spec.file}\`: ${base.display_name} (blueprint \`${base.blueprint.name}\`, environment \`${base.environment_id}\`, data \`${base.data_source_id}\`)`;
  const ranking = [`ranked by **${spec.primary_metric}**`];
  if (spec.secondary_metrics.length) ranking.push(`also ${spec.secondary_metrics.join(', ')}`);
  const counts = [ranking.join('; '), `min_trades: ${spec.min_trades}`];
  // A heading between two lists, or Markdown runs them into one.
  const rules = (lines: string[]) => `**Rules**\n\n${lines.map((line) => `- ${line}`).join('\n')}`;
  if (spec.kind === 'optimization') {
    const axes = spec.grid.axes.map((a) => `- \`${a.label}\`: ${valueList(a.values)}; ${a.plugin}.${a.param} in ${a.phase}`);
    return [
      source,
      `**Parameter space**: ${spec.grid.size} combinations, ${spec.admissible} admissible\n\n${axes.join('\n')}`,
      rules([`where: ${spec.where ? `\`${spec.where}\`` : 'none'}`, ...counts]),
    ];
  }
  const variants = spec.variants.map((v) => `- **${v.name}**: ${workforceChange(base.blueprint.workforce, v.workforce)}`);
  return [source, `**Variants**: ${spec.variants.length}\n\n${variants.join('\n')}`, rules(counts)];
}

/** An axis's values, shortened to the first three and the last when there are many. */
function valueList(values: unknown[]): string {
  const shown = values.length > 6 ? [...values.slice(0, 3), '…', values[values.length - 1]] : values;
  return `${shown.join(', ')} (${values.length} value${values.length === 1 ? '' : 's'})`;
}

/** The phases a variant changes against the base blueprint, with their plugins and params. */
function workforceChange(base: Workforce, variant: Workforce): string {
  const changes: string[] = [];
  for (const category of ['context_workers', 'analysis_workers'] as const) {
    const was: Record<string, unknown> = base[category];
    for (const [phase, entries] of Object.entries(variant[category])) {
      if (JSON.stringify(entries) === JSON.stringify(was[phase])) continue;
      const plugins = (entries as PluginEntry[]).map((e) => `${e.plugin}(${paramText(e.params)})`);
      changes.push(`${phase}: ${plugins.length ? plugins.join(', ') : 'none'}`);
    }
  }
  return changes.length ? changes.join('; ') : 'the base blueprint';
}

/** What the current details are written from: the workflow's counts at workflow time `now`. */
export interface SweepMoment {
  headline: SweepHeadline;
  /** running, paused, draining, finishing, or how the run ended. */
  phase: string;
  total: number;
  done: number;
  failed: number;
  running: number;
  started_at: number;
  now: number;
  generation: number;
  paused: boolean;
  /** Time spent in pauses that ended (ms). */
  paused_ms?: number;
  best: RankedOperation | null;
}

/**
 * Operations finished per second since the sweep started, leaving out the time it spent paused, and
 * seconds left at that rate. While paused there is neither: nothing is being done.
 */
export function rateAndEta(
  m: Pick<SweepMoment, 'total' | 'done' | 'failed' | 'started_at' | 'now'> & Partial<Pick<SweepMoment, 'paused' | 'paused_ms'>>,
): { rate: number | null; eta_s: number | null } {
  if (m.paused) return { rate: null, eta_s: null };
  const finished = m.done + m.failed;
  const elapsed = (m.now - m.started_at - (m.paused_ms ?? 0)) / 1000;
  const rate = finished > 0 && elapsed > 0 ? finished / elapsed : null;
  return { rate, eta_s: rate ? (m.total - finished) / rate : null };
}

/**
 * The current details, in Markdown: one list item per line so the UI keeps the lines apart. They
 * open with the summary line because continue-as-new does not carry the static metadata over: a
 * sweep's later runs have no static summary of their own (docs/cli.md, "Watching sweeps in the Temporal UI").
 */
export function currentDetails(m: SweepMoment): string {
  const metric = m.headline.primary_metric;
  const { rate, eta_s } = rateAndEta(m);
  const finished = m.done + m.failed;
  const pct = m.total > 0 ? ` (${((100 * finished) / m.total).toFixed(1)} %)` : '';
  const best = m.best
    ? `${metric} ${formatMetric(metric, m.best.value)} at #${m.best.idx}: ${paramText(m.best.params)}${m.best.total_trades === null ? '' : ` (${m.best.total_trades} trades)`}`
    : 'none yet';
  return [
    sweepSummary(m.headline),
    `**${m.phase}**`,
    `done ${m.done} · failed ${m.failed} · total ${m.total}${pct} · in flight ${m.running}`,
    `rate ${rate === null ? '—' : `${rate.toFixed(1)} ops/s`} · ETA ${formatDuration(eta_s)}`,
    `best so far: ${best}`,
    `generation ${m.generation} (continue-as-new count)`,
    `paused: ${m.paused ? 'yes' : 'no'}`,
  ]
    .map((line) => `- ${line}`)
    .join('\n');
}

/**
 * The summary of one pack's activity, so the timeline reads like the sweep: the grid index range and
 * count (or the one combination's params), or the variants' names.
 */
export function packSummary(spec: SweepSpec, indices: number[]): string {
  if (spec.kind === 'variant_test') {
    const names = indices.map((i) => spec.variants[i]!.name);
    return names.length === 1 ? `variant ${names[0]}` : `variants ${names.join(', ')}`;
  }
  const first = indices[0]!;
  if (indices.length === 1) return `#${first} ${paramText(comboAt(spec.grid, first))}`;
  return `#${first}–#${indices[indices.length - 1]!} · ${indices.length} operations`;
}
