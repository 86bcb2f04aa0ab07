import type { ConfigError } from '../../core/errors.js';
import type { Workforce } from '../schemas.js';
import { atrExit, fixedPercentageExit, timeExit, trailingStop } from './exits.js';
import { limitEntry, marketEntry } from './entries.js';
import { trendFilter, volatilityFilter } from './context.js';
import { cooldown, volumeFilter } from './refinement.js';
import { allIn, fixedFraction, fixedRiskSizer } from './sizers.js';
import { bollingerReversion, donchianBreakout, emaCross, rsiReversion, smaCross } from './signals.js';
import type { PluginDefinition } from './types.js';

export type { PluginDefinition } from './types.js';

/**
 * The plugins a blueprint can name: the built-ins, plus a workspace's own when its plugins folder
 * was loaded (src/user-plugins). It is a value handed to validation and the engine, never global
 * state, so two workspaces (or two versions of one plugin file) never mix in one process.
 */
export interface PluginSet {
  /** Every plugin by name, the built-ins first in phase order. */
  readonly byName: ReadonlyMap<string, PluginDefinition>;
  /** sha256 of the user plugin bundle these came from; null for the built-ins alone. */
  readonly bundle_hash: string | null;
  /**
   * A plugin's own error (thrown from its code) as a user error naming its file and line, or null
   * for any other error. Only sets with user plugins have it.
   */
  readonly faultOf?: (error: unknown) => ConfigError | null;
}

/** The built-ins by the module that defines them (named when a user plugin takes one of their names). */
const BUILTIN_MODULES = [
  ['context.ts', [trendFilter, volatilityFilter]],
  ['signals.ts', [smaCross, emaCross, rsiReversion, donchianBreakout, bollingerReversion]],
  ['refinement.ts', [volumeFilter, cooldown]],
  ['entries.ts', [marketEntry, limitEntry]],
  ['exits.ts', [atrExit, fixedPercentageExit, trailingStop, timeExit]],
  ['sizers.ts', [allIn, fixedFraction, fixedRiskSizer]],
] as const;

/** The one list of built-in plugins, in phase order. */
export const BUILTIN_PLUGINS: PluginSet = {
  byName: new Map(BUILTIN_MODULES.flatMap(([, plugins]) => plugins.map((plugin): [string, PluginDefinition] => [plugin.name, plugin]))),
  bundle_hash: null,
};

/** The sweeplab source file that defines built-in `name`, or undefined when it is not a built-in. */
export function builtinFile(name: string): string | undefined {
  const found = BUILTIN_MODULES.find(([, plugins]) => plugins.some((p) => p.name === name));
  return found && `src/engine/plugins/${found[0]}`;
}

export function findPlugin(name: string, plugins: PluginSet = BUILTIN_PLUGINS): PluginDefinition | undefined {
  return plugins.byName.get(name);
}

/** Each workforce entry's definition, when the set knows it. */
function definitionsIn(workforce: Workforce, plugins: PluginSet): PluginDefinition[] {
  const found: PluginDefinition[] = [];
  for (const phases of Object.values(workforce)) {
    for (const entries of Object.values(phases as Record<string, Array<{ plugin: string }>>)) {
      for (const entry of entries) {
        const definition = plugins.byName.get(entry.plugin);
        if (definition) found.push(definition);
      }
    }
  }
  return found;
}

/** The user plugins a workforce names, once each, in workforce order. */
export function userPluginsIn(workforce: Workforce, plugins: PluginSet): PluginDefinition[] {
  return [...new Set(definitionsIn(workforce, plugins).filter((d) => d.source !== null))];
}

/**
 * The code a workforce runs beyond the built-ins: file → code hash of every user plugin it names,
 * sorted by file; undefined when it names none (its operations hash as before plugins existed).
 */
export function pluginCodeOf(workforce: Workforce, plugins: PluginSet): Record<string, string> | undefined {
  const sources = userPluginsIn(workforce, plugins).map((d) => d.source!);
  if (sources.length === 0) return undefined;
  return Object.fromEntries(sources.map((s): [string, string] => [s.file, s.code_hash]).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * Cross-plugin problems in an already schema-valid workforce (params are not looked at): a sizer
 * that needs a stop without an exit plugin that sets one, and more than one entry plugin. Unknown
 * plugin names are skipped here (validating entries one by one reports them). `field` is relative
 * to the workforce, e.g. "analysis_workers.size_planning[0]".
 */
export function workforceProblems(workforce: Workforce, plugins: PluginSet = BUILTIN_PLUGINS): Array<{ field: string; reason: string }> {
  const problems: Array<{ field: string; reason: string }> = [];
  const { exit_planning, size_planning, entry_planning } = workforce.analysis_workers;
  const setsStop = exit_planning.some((entry) => findPlugin(entry.plugin, plugins)?.setsStop);
  size_planning.forEach((entry, i) => {
    if (findPlugin(entry.plugin, plugins)?.needsStop && !setsStop) {
      const stopSetters = [...plugins.byName.values()].filter((p) => p.setsStop).map((p) => `"${p.name}"`);
      problems.push({
        field: `analysis_workers.size_planning[${i}]`,
        reason: `"${entry.plugin}" sizes from the stop distance, but no exit_planning plugin sets a stop (add one of ${stopSetters.join(', ')})`,
      });
    }
  });
  if (entry_planning.length > 1) {
    problems.push({
      field: `analysis_workers.entry_planning[1]`,
      reason: `takes one entry plugin, got ${entry_planning.length}: ${entry_planning.map((e) => `"${e.plugin}"`).join(', ')}`,
    });
  }
  return problems;
}
