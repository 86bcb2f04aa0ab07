import { ConfigError, joinPath } from '../../core/errors.js';
import { parseWith } from '../../core/zod-errors.js';
import { PHASES, WORKER_CATEGORIES, type Phase } from '../phases.js';
import type { Workforce } from '../schemas.js';
import { didYouMean } from '../../core/suggest.js';
import type { BarSeries } from '../bars.js';
import { marketEntry } from './entries.js';
import { BUILTIN_PLUGINS, findPlugin, workforceProblems, type PluginSet } from './registry.js';
import { allIn } from './sizers.js';
import type { Direction, EntryFilter, EntryWorker, ExitWorker, PluginDefinition, SizeWorker, Worker } from './types.js';

/** One workforce entry checked against the registry, with its params parsed (defaults applied). */
export interface ParsedPlugin {
  readonly definition: PluginDefinition;
  readonly phase: Phase;
  readonly params: Record<string, unknown>;
  /** Where it stands, e.g. "workforce.analysis_workers.signal_generation[0]". */
  readonly field: string;
}

/**
 * Checks every entry of a schema-valid workforce against the plugin set, in phase order: an unknown
 * plugin (with a did-you-mean), a plugin outside its phase, params out of bounds; then the
 * cross-plugin problems. Throws the first as ConfigError(file, field, reason); without a file (the
 * engine knows none) the caller that read the workforce names it (src/config/load.ts).
 */
export function parsePlugins(workforce: Workforce, plugins: PluginSet = BUILTIN_PLUGINS, file: string | null = null, prefix = 'workforce'): ParsedPlugin[] {
  const parsed: ParsedPlugin[] = [];
  for (const category of WORKER_CATEGORIES) {
    const phases = workforce[category] as Record<Phase, Workforce['analysis_workers']['signal_generation']>;
    for (const phase of PHASES[category]) {
      phases[phase].forEach((entry, i) => {
        const field = joinPath(prefix, category, phase, i);
        const definition = findPlugin(entry.plugin, plugins);
        if (!definition) {
          throw new ConfigError(file, joinPath(field, 'plugin'), `unknown plugin "${entry.plugin}"${didYouMean(entry.plugin, plugins.byName.keys())}`);
        }
        if (!definition.phases.includes(phase)) {
          throw new ConfigError(file, joinPath(field, 'plugin'), `"${entry.plugin}" belongs in ${definition.phases.join(' or ')}, not in ${phase}`);
        }
        parsed.push({ definition, phase, params: parseWith(definition.params, entry.params, file, joinPath(field, 'params')), field });
      });
    }
  }
  const [problem] = workforceProblems(workforce, plugins);
  if (problem) throw new ConfigError(file, joinPath(prefix, problem.field), problem.reason);
  return parsed;
}

/** The workers of one run, ready for the simulator. */
export interface ResolvedWorkforce {
  /** Sign of the sum of every signal plugin's event per bar: conflicting events cancel out. */
  readonly events: Int8Array;
  /** The first signal plugin's direction governs the combined events. */
  readonly direction: Direction;
  /** Context and refinement plugins, all of which must allow an entry. */
  readonly filters: readonly EntryFilter[];
  readonly entry: EntryWorker;
  readonly exits: readonly ExitWorker[];
  readonly sizer: SizeWorker;
  /** The first bar at which every plugin has output: no signal is acted on before it. */
  readonly firstBar: number;
}

/** A built-in of the wrong kind is a bug; a user plugin's is the user's mistake, named by its file. */
function expectKind<K extends Worker['kind']>(worker: Worker, kind: K, plugin: ParsedPlugin): Extract<Worker, { kind: K }> {
  const got = (worker as { kind?: unknown } | null)?.kind;
  if (got === kind) return worker as Extract<Worker, { kind: K }>;
  const reason = `plugin "${plugin.definition.name}" in ${plugin.phase} must return a worker of kind "${kind}" from create(), got ${typeof got === 'string' ? `"${got}"` : String(worker)}`;
  if (plugin.definition.source) throw new ConfigError(plugin.definition.source.file, '', reason);
  throw new Error(reason);
}

/**
 * Builds the workers for `bars`. Throws a ConfigError naming the plugin with the longest warm-up
 * when the bars cannot even reach one bar where all plugins have output (and at least 2 bars).
 */
export function resolveWorkforce(bars: BarSeries, plugins: readonly ParsedPlugin[], file: string | null = null): ResolvedWorkforce {
  let firstBar = 0;
  let longest: ParsedPlugin | undefined;
  for (const plugin of plugins) {
    const lookback = plugin.definition.lookback(plugin.params);
    if (lookback > firstBar) {
      firstBar = lookback;
      longest = plugin;
    }
  }
  const needed = Math.max(2, firstBar + 1);
  if (bars.length < needed) {
    throw new ConfigError(
      file,
      longest?.field ?? '',
      longest
        ? `"${longest.definition.name}" needs at least ${needed} bars (its first output is at bar ${firstBar}), the data has ${bars.length}`
        : `a backtest needs at least 2 bars, the data has ${bars.length}`,
    );
  }

  const signals = [];
  const filters: EntryFilter[] = [];
  const exits: ExitWorker[] = [];
  let entry: EntryWorker | undefined;
  let sizer: SizeWorker | undefined;
  for (const plugin of withDefaults(plugins)) {
    const worker = plugin.definition.create(bars, plugin.params);
    switch (plugin.phase) {
      case 'signal_generation':
        signals.push(expectKind(worker, 'signal', plugin));
        break;
      case 'regime_context':
      case 'structural_context':
      case 'signal_refinement':
        filters.push(expectKind(worker, 'filter', plugin));
        break;
      case 'entry_planning':
        entry = expectKind(worker, 'entry', plugin);
        break;
      case 'exit_planning':
        exits.push(expectKind(worker, 'exit', plugin));
        break;
      case 'size_planning':
        sizer = expectKind(worker, 'size', plugin);
        break;
    }
  }
  if (signals.length === 0 || !entry || !sizer) throw new Error('a workforce reached the engine without a signal, entry or size plugin');
  return {
    events: signals.length === 1 ? signals[0].events : combineEvents(signals.map((s) => s.events)),
    direction: signals[0].direction,
    filters,
    entry,
    exits,
    sizer,
    firstBar,
  };
}

/** An empty entry_planning enters at market; an empty size_planning goes all in, whole units. */
function withDefaults(plugins: readonly ParsedPlugin[]): readonly ParsedPlugin[] {
  const defaults: ParsedPlugin[] = [];
  for (const [phase, definition] of [['entry_planning', marketEntry], ['size_planning', allIn]] as const) {
    if (!plugins.some((p) => p.phase === phase)) {
      defaults.push({ definition, phase, params: definition.params.parse({}), field: `workforce.analysis_workers.${phase}` });
    }
  }
  return defaults.length ? [...plugins, ...defaults] : plugins;
}

function combineEvents(all: readonly Int8Array[]): Int8Array {
  const out = new Int8Array(all[0].length);
  for (const events of all) for (let i = 0; i < out.length; i++) out[i] += events[i];
  for (let i = 0; i < out.length; i++) out[i] = Math.sign(out[i]);
  return out;
}
