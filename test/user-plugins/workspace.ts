import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadOperationBars } from '../../src/services/run-operation.js';
import { loadOperationFile } from '../../src/intake/load.js';
import { materialize } from '../../src/config/materialize.js';
import { WorkforceSchema } from '../../src/config/schemas.js';
import { runBacktest, type BacktestResult, type PluginSet } from '../../src/engine/index.js';

/** The repository's examples/ folder: a workspace with data, YAML and one plugin of its own. */
export const examplesDir = path.resolve(import.meta.dirname, '../../examples');

/**
 * A fresh workspace in a temp folder: a copy of examples/ (so `data/`, `blueprints/` and the
 * example plugin are there), plus `files` (path → content) written over it. Remove it with
 * `fs.rmSync(root, { recursive: true, force: true })`.
 */
export function makeWorkspace(files: Record<string, string> = {}, opts: { plugins?: boolean } = {}): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sweeplab-ws-'));
  fs.cpSync(examplesDir, root, { recursive: true, filter: (src) => opts.plugins !== false || !src.startsWith(path.join(examplesDir, 'plugins')) });
  for (const [file, content] of Object.entries(files)) writeFile(root, file, content);
  return root;
}

export function writeFile(root: string, file: string, content: string): void {
  fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
  fs.writeFileSync(path.join(root, file), content);
}

/**
 * A signal plugin `name` with one param `period` (1…500, default 20) whose events come from `body`,
 * a statement with `bars`, `p`, `close` and `events` in scope. `before` goes at module level.
 */
export function signalPlugin(name: string, body: string, before = ''): string {
  return `import { definePlugin, DirectionSchema, z } from 'sweeplab/plugin';
${before}
export const plugin = definePlugin({
  name: '${name}',
  phase: 'signal_generation',
  params: z.object({ period: z.number().int().min(1).max(500).default(20), direction: DirectionSchema }).strict(),
  doc: 'A plugin written by a test: ${name}, on its own rule.',
  lookback: (p) => p.period,
  create(bars, p) {
    const close = bars.close;
    const events = new Int8Array(bars.length);
    ${body}
    return { kind: 'signal', events, direction: p.direction };
  },
});
`;
}

/** Momentum over `period` bars: +1 when the close is above the close `period` bars back, else −1. */
export const MOMENTUM = 'for (let i = p.period; i < bars.length; i++) events[i] = close[i] > close[i - p.period] ? 1 : -1;';

/**
 * A blueprint (blueprints/<plugin>.yaml), an operation (op-<plugin>.yaml) and an optimization
 * (opt-<plugin>.yaml, sweeping `period` over `periods`) around signal plugin `plugin`, on the example data.
 */
export function sweepFiles(plugin: string, periods: number[], parallel = ''): Record<string, string> {
  return {
    [`blueprints/${plugin}.yaml`]: `name: ${plugin}_bp
workforce:
  analysis_workers:
    signal_generation: [ { plugin: ${plugin}, params: { period: ${periods[0]} } } ]
    exit_planning: [ { plugin: atr_exit } ]
`,
    [`op-${plugin}.yaml`]: `display_name: ${plugin} on SYNTH daily
strategy_links:
  - { strategy_blueprint: blueprints/${plugin}.yaml, execution_environment: daily }
environments:
  daily: { type: backtest, data_source: synth, start: 2014-01-01, end: 2016-12-31, initial_capital: 10000 }
data_sources:
  synth: { type: csv_archive, path: data/SYNTH_1d.csv, asset_pair: SYNTH/USD, timeframe: 1d }
`,
    [`opt-${plugin}.yaml`]: `optimization_config:
  name: ${plugin} grid
  base_operation: op-${plugin}.yaml
  parameter_space:
    - { worker_category: analysis_workers, worker_phase: signal_generation, worker_plugin: ${plugin}, parameters: { period: { values: [${periods.join(', ')}] } } }
${parallel ? `  parallel_config: { ${parallel} }\n` : ''}`,
  };
}

/**
 * Runs `workforce` (a blueprint's workforce as a user writes it: phases left out are empty) with
 * `plugins` on the bars of the workspace's operation.yaml (the example daily series), as the engine
 * runs every operation.
 */
export function runWorkforce(root: string, workforce: unknown, plugins: PluginSet): BacktestResult {
  const base = loadOperationFile(path.join(root, 'operation.yaml'), { dataRoot: root });
  const bars = loadOperationBars(materialize(base, base.blueprint.workforce, 'operation.yaml'), { dataRoot: root, file: 'operation.yaml' });
  return runBacktest(bars, WorkforceSchema.parse(workforce), base.environment, plugins);
}

/**
 * A signal plugin `name` that misbehaves for one `period` each, as careless plugin code can: 11 ends
 * its thread (process.exit), 12 allocates without end, 13 throws a string, 14 never returns; any
 * other period is MOMENTUM.
 */
export function chaosPlugin(name: string): string {
  return signalPlugin(
    name,
    `if (p.period === 11) process.exit(0);
    if (p.period === 12) { const hoard = []; for (;;) hoard.push(new Array(100_000).fill(p.period)); }
    if (p.period === 13) throw 'a string';
    if (p.period === 14) for (;;) {}
    ${MOMENTUM}`,
  );
}

/** What a plugin's process.exit(0) fails its operation with: the thread ended, or (in a realm without `process`) a ReferenceError. */
export const EXITED = /plugin "(\w+)" (ended its thread with exit code 0 \(process\.exit\?\)|threw ReferenceError: process is not defined)/;
