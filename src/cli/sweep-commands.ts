import fs from 'node:fs';
import path from 'node:path';
import { SingleBar } from 'cli-progress';
import { resultsCsv } from '../services/csv.js';
import { checkSweepId } from '../client/sweep-id.js';
import { Sweeps, type CodeChange, type SweepView } from '../client/sweeps.js';
import { ConfigError, ConflictError, NotFoundError } from '../config/errors.js';
import { loadOptimizationFile, loadVariantFile, type LoadOptions } from '../intake/load.js';
import { probedFile } from '../intake/probe.js';
import { parseResultFilter } from '../services/results-query.js';
import type { MaterializedOperation } from '../config/materialize.js';
import { sweepCodeFromStore } from '../services/plugin-code.js';
import { recompute } from '../services/recompute.js';
import { optimizationSpec, variantTestSpec, type SweepSpec } from '../config/sweep.js';
import { windowSweepId } from '../config/walk-forward-spec.js';
import { dumpYaml } from '../intake/yaml.js';
import { ensureDirectory, fsError } from '../data/files.js';
import { dataRootFromEnv, rootRelative } from '../data/paths.js';
import { paramText } from '../engine/format.js';
import { openStore } from '../store/index.js';
import type { ResultRow, ResultsQuery, Store } from '../store/types.js';
import type { PluginBundle } from '../user-plugins/bundle.js';
import { connectClient, taskQueue } from '../temporal/connection.js';
import { formatDuration, formatMetric, table } from './format.js';
import { readingLines } from './statistics.js';
import { walkForwardResults } from './walk-forward-report.js';

/*
 * The sweep commands of the CLI: submit (optionally watching to the end), look, control, export.
 * Exit codes: 0 ok, 1 the sweep failed or was cancelled, 2 bad input (set by main.ts).
 */

export async function withSweeps<T>(fn: (sweeps: Sweeps, store: Store) => Promise<T>): Promise<T> {
  const store = await openStore();
  await store.migrate();
  const { client, connection } = await connectClient();
  try {
    return await fn(new Sweeps(client, store, taskQueue()), store);
  } finally {
    await connection.close();
    await store.close();
  }
}

/**
 * The sweep a file describes, and the workspace's plugin bundle to store with it. Loading names the
 * file as given on the command line; the spec (a workflow input the Temporal UI shows) names it
 * relative to the workspace, as the API does, so no server path travels with it.
 */
export function loadSweepFile(kind: 'optimization' | 'variant_test', file: string, load: LoadOptions = { dataRoot: dataRootFromEnv() }): { spec: SweepSpec; bundle: PluginBundle | null } {
  const { dataRoot } = load;
  const shown = () => rootRelative(dataRoot, fs.realpathSync(file));
  if (kind === 'optimization') {
    const loaded = loadOptimizationFile(file, load);
    return { spec: { ...optimizationSpec(loaded), file: shown() }, bundle: loaded.plugins.bundle };
  }
  const loaded = loadVariantFile(file, load);
  return { spec: { ...variantTestSpec(loaded), file: shown() }, bundle: loaded.plugins.bundle };
}

export interface SubmitOptions {
  wait?: boolean;
  json?: boolean;
  id?: string;
  top?: string;
}

export async function submitCommand(kind: 'optimization' | 'variant_test', file: string, opts: SubmitOptions): Promise<number> {
  // Every flag is checked before the sweep is submitted: a bad one must not leave a sweep running.
  if (opts.id !== undefined) checkSweepId(opts.id, '--id');
  const top = opts.top === undefined ? (kind === 'optimization' ? 20 : 1000) : positiveInt(opts.top, '--top');
  // The workspace's plugin code runs first in a contained thread (src/intake/probe.ts), not here.
  const { spec, bundle } = loadSweepFile(kind, file, await probedFile(kind, file, dataRootFromEnv()));
  return withSweeps(async (sweeps, store) => {
    const { id } = await sweeps.submit(spec, { id: opts.id, bundle });
    if (!opts.wait) {
      process.stdout.write(opts.json ? `${JSON.stringify({ id })}\n` : `${id}\n`);
      return 0;
    }
    if (!opts.json) process.stderr.write(`submitted ${kind.replace('_', ' ')} "${spec.name}" as ${id}\n`);
    const view = await watch(sweeps, id, { quiet: opts.json });
    if (opts.json) {
      process.stdout.write(`${JSON.stringify({ id, status: view.status, total: view.total, completed: view.done, failed: view.failed })}\n`);
    } else {
      process.stdout.write(`${summaryLine(view)}\n\n`);
      const { rows } = await store.queryResults(id, { sort: view.primary_metric, order: 'desc', limit: top });
      process.stdout.write(`${resultsTable(rows, view.primary_metric)}\n`);
      const statistics = await store.getStatistics(id);
      if (statistics) process.stdout.write(`\n${readingLines(statistics)}\n`);
      // Computed right after completion by a workflow of their own, so usually not there yet.
      else if (kind === 'optimization' && view.status === 'completed' && view.done > 0) process.stderr.write(`robustness statistics are being computed: sweeplab statistics ${id}\n`);
    }
    return outcomeCode(view);
  });
}

/**
 * The exit code of a sweep followed to its end (README, "Exit codes"): 1 when it failed or was
 * cancelled, and also when it completed without one operation succeeding, which is no result at
 * all (said on stderr); its status stays "completed" (every operation ran) with the failures counted.
 */
export function outcomeCode(view: SweepView): number {
  if (view.status !== 'completed') return 1;
  if (view.done > 0 || view.failed === 0) return 0;
  process.stderr.write(`no operation of ${view.id} succeeded: all ${view.failed} failed (sweeplab results ${view.id} shows each one's error)\n`);
  return 1;
}

/** Follows a sweep until its workflow closes: a progress bar on a terminal, plain lines otherwise. */
export async function watch(sweeps: Sweeps, id: string, opts: { quiet?: boolean } = {}): Promise<SweepView> {
  const tty = process.stderr.isTTY && !opts.quiet;
  const bar = tty
    ? new SingleBar({
        format: ' {bar} {percentage}% | {value}/{total} | failed {failed} | {rate} ops/s | ETA {eta_h} | best {best}',
        hideCursor: true,
        barsize: 30,
        stream: process.stderr,
      })
    : null;
  let lastLine = 0;
  let view = await sweeps.view(id);
  // The end is awaited, not polled for: a sweep of a second must not look like one of two.
  const ended = sweeps.result(id);
  ended.catch(() => {});
  bar?.start(Math.max(view.total, 1), 0, tokens(view));
  while (view.status === 'running' || view.status === 'paused') {
    view = await Promise.race([ended, delay(tty ? 250 : 1000).then(() => sweeps.view(id))]);
    if (bar) {
      bar.setTotal(Math.max(view.total, 1));
      bar.update(view.done + view.failed, tokens(view));
    } else if (!opts.quiet && Date.now() - lastLine >= 5_000) {
      lastLine = Date.now();
      process.stderr.write(`${progressLine(view)}\n`);
    }
  }
  bar?.stop();
  return view;
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function tokens(view: SweepView) {
  return {
    failed: view.failed,
    rate: view.rate === null ? '—' : view.rate.toFixed(1),
    eta_h: formatDuration(view.eta_s),
    best: bestText(view),
  };
}

/** The best operation so far as `value (param=value …)`, or "—". */
export function bestText(view: SweepView): string {
  return view.best ? `${formatMetric(view.primary_metric, view.best.value)} (${paramText(view.best.params)})` : '—';
}

export function progressLine(view: SweepView): string {
  const t = tokens(view);
  const pct = view.total ? (((view.done + view.failed) / view.total) * 100).toFixed(1) : '0.0';
  return `${view.id} ${view.status} ${view.done + view.failed}/${view.total} (${pct} %) failed ${view.failed} running ${view.running} | ${t.rate} ops/s | ETA ${t.eta_h} | best ${view.primary_metric} ${t.best}`;
}

export function summaryLine(view: SweepView): string {
  return `${view.id}: ${view.status}, ${view.done} of ${view.total} done, ${view.failed} failed`;
}

const TABLE_METRICS = ['total_return', 'cagr', 'sharpe_ratio', 'max_drawdown', 'win_rate', 'profit_factor', 'total_trades'] as const;

export function resultsTable(rows: ResultRow[], primary: string): string {
  const paramCols = [...new Set(rows.flatMap((r) => Object.keys(r.params)))];
  const metricCols = [primary, ...TABLE_METRICS.filter((m) => m !== primary)];
  return table(
    ['#', ...paramCols, ...metricCols, 'status'],
    rows.map((r) => [
      String(r.idx),
      ...paramCols.map((p) => String(r.params[p] ?? '')),
      ...metricCols.map((m) => formatMetric(m, r.metrics?.[m as keyof typeof r.metrics])),
      r.status === 'failed' ? `failed: ${r.error ?? ''}` : 'done',
    ]),
  );
}

export async function statusCommand(id: string, opts: { watch?: boolean; json?: boolean }): Promise<number> {
  return withSweeps(async (sweeps, store) => {
    const view = opts.watch ? await watch(sweeps, id, { quiet: opts.json }) : await sweeps.view(id);
    const statistics = await store.getStatistics(id);
    if (opts.json) process.stdout.write(`${JSON.stringify({ ...view, progress: undefined, readings: statistics?.readings ?? null })}\n`);
    else {
      process.stdout.write(`${progressLine(view)}\n`);
      if (view.note) process.stdout.write(`  ${view.note}\n`);
      for (const e of view.errors) process.stdout.write(`  error: ${e}\n`);
      if (statistics) process.stdout.write(`${readingLines(statistics)}\n`);
    }
    return 0;
  });
}

export interface ResultsOptions {
  sort?: string;
  order?: string;
  limit?: string;
  offset?: string;
  filter?: string;
  format?: string;
}

export async function resultsCommand(id: string, opts: ResultsOptions): Promise<number> {
  const format = opts.format ?? 'table';
  if (!['table', 'csv', 'json'].includes(format)) throw new ConfigError('--format', 'format', `"${format}" is not one of "table", "csv", "json"`);
  if (opts.order && opts.order !== 'asc' && opts.order !== 'desc') throw new ConfigError('--order', 'order', `"${opts.order}" is not "asc" or "desc"`);
  // Flags first: a mistake in one is told before any connection is tried.
  const limit = positiveInt(opts.limit ?? '20', '--limit');
  const offset = positiveInt(opts.offset ?? '0', '--offset');
  const filter = opts.filter ? parseResultFilter(opts.filter, '--filter', 'filter') : undefined;
  return withSweeps(async (_sweeps, store) => {
    const sweep = await store.getSweep(id);
    if (!sweep) throw new NotFoundError('sweep', id, 'has no stored results yet (unknown id, or its worker has not started it)');
    if (sweep.kind === 'walk_forward') return walkForwardResults(store, id, format).then(() => 0);
    const query: ResultsQuery = { sort: opts.sort ?? sweep.primary_metric, order: (opts.order as 'asc' | 'desc' | undefined) ?? 'desc', limit, offset, filter };
    const { rows, total } = await store.queryResults(id, query);
    if (format === 'json') process.stdout.write(`${JSON.stringify(rows)}\n`);
    else if (format === 'csv') process.stdout.write(resultsCsv(rows, sweep.param_names));
    else {
      process.stdout.write(`${resultsTable(rows, sweep.primary_metric)}\n${rows.length} of ${total} rows\n`);
      const statistics = await store.getStatistics(id);
      if (statistics) process.stdout.write(`\n${readingLines(statistics)}\n`);
    }
    return 0;
  });
}

export function positiveInt(text: string, flag: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new ConfigError(flag, flag.replace(/^--/, ''), `"${text}" is not a whole number ≥ 0`);
  return n;
}

/** How long `cancel` waits for the sweep to stop, so that it can print the sweep as it ended. */
const CANCEL_WAIT_MS = 10_000;

/**
 * Prints the sweep as the action left it. A cancel reaches the workflow, which stops its packs and
 * records the end: that end is awaited (for a while), so the line says "cancelled", not the "running"
 * of the moment before. A restarted sweep's new run counts what is stored only once it has scanned
 * the store, so until then the store's counts are shown.
 */
export async function controlCommand(action: 'pause' | 'resume' | 'cancel', id: string): Promise<number> {
  return withSweeps(async (sweeps, store) => {
    let view = await sweeps[action](id);
    if (action === 'cancel') {
      const ended = await Promise.race([sweeps.result(id), delay(CANCEL_WAIT_MS).then(() => null)]);
      if (!ended) {
        const stored = await storedCounts(store, id);
        process.stdout.write(`cancel: ${id} cancellation requested; it stops when a worker takes it up (${stored.done + stored.failed}/${view.total} operations stored)\n`);
        return 0;
      }
      view = ended;
    }
    const restarted = 'restarted' in view && view.restarted;
    if (restarted) {
      const stored = await storedCounts(store, id);
      view = { ...view, done: Math.max(view.done, stored.done), failed: Math.max(view.failed, stored.failed) };
    }
    // After an upgrade: which build it continues on and which stored results it keeps (docs/deploy.md, "Upgrades").
    const change: CodeChange | null = 'code_change' in view ? (view.code_change as CodeChange | null) : null;
    if (change) process.stdout.write(`${change.message}\n`);
    process.stdout.write(`${action}: ${progressLine(view)}${restarted ? ' (new run; stored operations are reused)' : ''}\n`);
    return 0;
  });
}

/** The operations of a sweep the store holds now, done and failed. */
async function storedCounts(store: Store, id: string): Promise<{ done: number; failed: number }> {
  const count = async (status: 'done' | 'failed') => (await store.queryResults(id, { limit: 1, filter: [{ field: 'status', op: '=', value: status }] })).total;
  const [done, failed] = await Promise.all([count('done'), count('failed')]);
  return { done, failed };
}

/** Writes each stored operation of a sweep as a YAML file that `run-operation` replays. */
export async function exportCommand(id: string, opts: { ops: string }): Promise<number> {
  // An empty path would resolve to the working directory and spill every file there.
  if (opts.ops.trim() === '') throw new ConfigError('--ops', 'ops', `${JSON.stringify(opts.ops)} names no directory; give the folder to write the operations to, e.g. --ops ops/`);
  const dir = path.resolve(opts.ops);
  const dataRoot = dataRootFromEnv();
  ensureDirectory(dir, opts.ops, '--ops', 'ops');
  return withSweeps(async (_sweeps, store) => {
    const sweep = await store.getSweep(id);
    if (!sweep) throw new NotFoundError('sweep', id, 'has no stored results');
    const { spec } = sweep;
    if (spec.kind === 'walk_forward') {
      const windows = spec.windows.length;
      throw new ConflictError('sweep', id, `is a walk-forward, whose operations belong to its windows' optimizations; export those: sweeplab export ${windowSweepId(id, 1)} … ${windowSweepId(id, windows)}`);
    }
    const code = await sweepCodeFromStore(store, spec.plugin_bundle);
    let written = 0;
    for (let offset = 0; ; offset += 500) {
      const { rows } = await store.queryResults(id, { sort: 'idx', order: 'asc', limit: 500, offset });
      // Derived from the sweep's spec and the index, as the worker ran it (docs/store.md); its plugin
      // code (which parses the params) in a contained thread (src/services/recompute.ts).
      const ops = await recompute({ kind: 'operations', spec, indices: rows.map((row) => row.idx) }, code, dataRoot);
      for (const [i, row] of rows.entries()) {
        const op = ops[i]!;
        const name = `${String(row.idx).padStart(6, '0')}-${row.hash.slice(0, 12)}.yaml`;
        try {
          fs.writeFileSync(path.join(dir, name), dumpYaml(relocate(op, dataRoot, dir)));
        } catch (error) {
          throw fsError(error, path.join(opts.ops, name), '--ops', 'ops');
        }
        written++;
      }
      if (rows.length < 500) break;
    }
    process.stdout.write(`${written} operations written to ${dir}\n`);
    return 0;
  });
}

/** Materialized operations name data relative to the data root; a file in `dir` names it relative to itself. */
function relocate(op: MaterializedOperation, dataRoot: string, dir: string): MaterializedOperation {
  for (const source of Object.values(op.data_sources)) {
    if (source.type === 'csv_archive') source.path = path.relative(dir, path.join(dataRoot, source.path));
  }
  return op;
}
