import { BUILTIN_PLUGINS, findPlugin, workforceProblems, type PluginSet } from '../engine/plugins/registry.js';
import { ConfigError, joinPath, parseWith } from './errors.js';
import { PHASES, quoteList, WORKER_CATEGORIES, type PluginEntry, type Workforce } from './schemas.js';
import { didYouMean } from '../core/suggest.js';

/**
 * Checks a workforce against a plugin set (the built-ins, plus a workspace's own) and returns it with every entry's params parsed
 * by the plugin's schema (defaults filled in), in the same order. Errors name `file` and the field
 * under `prefix`, e.g. `workforce.analysis_workers.signal_generation[0].params.fast`.
 * Unknown params are refused (a typo would otherwise silently run the default).
 */
export function validateWorkforce(workforce: Workforce, file: string, prefix: string, plugins: PluginSet = BUILTIN_PLUGINS): Workforce {
  const result = structuredClone(workforce);
  for (const category of WORKER_CATEGORIES) {
    const phases = result[category] as Record<string, PluginEntry[]>;
    for (const phase of PHASES[category]) {
      phases[phase] = phases[phase].map((entry, i) => {
        const at = (...rest: string[]) => joinPath(prefix, category, phase, i, ...rest);
        const plugin = findPlugin(entry.plugin, plugins);
        if (!plugin) {
          const inPhase = [...plugins.byName.values()].filter((p) => p.phases.includes(phase)).map((p) => p.name);
          throw new ConfigError(file, at('plugin'), `unknown plugin "${entry.plugin}"${didYouMean(entry.plugin, plugins.byName.keys())} (${phase} plugins: ${quoteList(inPhase)})`);
        }
        if (!plugin.phases.includes(phase)) {
          throw new ConfigError(file, at('plugin'), `"${entry.plugin}" cannot stand in ${phase}; it belongs in ${quoteList(plugin.phases)}`);
        }
        const known = Object.keys(plugin.params.shape);
        for (const param of Object.keys(entry.params)) {
          if (!known.includes(param)) {
            throw new ConfigError(file, at('params', param), `unknown parameter "${param}" of ${plugin.name}${didYouMean(param, known)} (parameters: ${quoteList(known)})`);
          }
        }
        return { plugin: entry.plugin, params: parseWith(plugin.params, entry.params, file, at('params')) as Record<string, unknown> };
      });
    }
  }
  const [problem] = workforceProblems(result, plugins);
  if (problem) throw new ConfigError(file, joinPath(prefix, problem.field), problem.reason);
  return result;
}
