import type { Workforce } from '../../config/schemas.js';
import { atrExit, fixedPercentageExit, timeExit, trailingStop } from './exits.js';
import { limitEntry, marketEntry } from './entries.js';
import { trendFilter, volatilityFilter } from './context.js';
import { cooldown, volumeFilter } from './refinement.js';
import { allIn, fixedFraction, fixedRiskSizer } from './sizers.js';
import { bollingerReversion, donchianBreakout, emaCross, rsiReversion, smaCross } from './signals.js';
import type { PluginDefinition } from './types.js';

export type { PluginDefinition } from './types.js';

/** The one list of plugins, in phase order; a blueprint can name nothing else. */
export const PLUGIN_REGISTRY: ReadonlyMap<string, PluginDefinition> = new Map(
  [
    trendFilter,
    volatilityFilter,
    smaCross,
    emaCross,
    rsiReversion,
    donchianBreakout,
    bollingerReversion,
    volumeFilter,
    cooldown,
    marketEntry,
    limitEntry,
    atrExit,
    fixedPercentageExit,
    trailingStop,
    timeExit,
    allIn,
    fixedFraction,
    fixedRiskSizer,
  ].map((plugin) => [plugin.name, plugin]),
);

export function findPlugin(name: string): PluginDefinition | undefined {
  return PLUGIN_REGISTRY.get(name);
}

/**
 * Cross-plugin problems in an already schema-valid workforce (params are not looked at): a sizer
 * that needs a stop without an exit plugin that sets one, and more than one entry plugin. Unknown
 * plugin names are skipped here (validating entries one by one reports them). `field` is relative
 * to the workforce, e.g. "analysis_workers.size_planning[0]".
 */
export function workforceProblems(workforce: Workforce): Array<{ field: string; reason: string }> {
  const problems: Array<{ field: string; reason: string }> = [];
  const { exit_planning, size_planning, entry_planning } = workforce.analysis_workers;
  const setsStop = exit_planning.some((entry) => findPlugin(entry.plugin)?.setsStop);
  size_planning.forEach((entry, i) => {
    if (findPlugin(entry.plugin)?.needsStop && !setsStop) {
      const stopSetters = [...PLUGIN_REGISTRY.values()].filter((p) => p.setsStop).map((p) => `"${p.name}"`);
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
