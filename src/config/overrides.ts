import { z } from 'zod';
import { ConfigError, joinPath, parseWith } from './errors.js';
import type { Combo, Grid } from './grid.js';
import { cloneJson, isPlainObject, setOwn } from '../core/json.js';
import { PHASES, PluginEntrySchema, quoteList, type PluginEntry, type Workforce, type WorkerCategory } from './schemas.js';

/*
 * How a variant or a grid combination changes the base workforce. Pure: the workflow derives each
 * operation from the base and these rules. Inputs are never mutated.
 */

const OverridePhaseSchema = z.array(PluginEntrySchema);

/**
 * Applies a variant's `overrides` (docs/formats.md, "variant.yaml"), a partial workforce such as
 * `{ analysis_workers: { exit_planning: [ { plugin: atr_exit, params: { risk_reward_ratio: 3 } } ] } }`.
 * Categories and phases not named keep the base. Inside a named phase:
 * - every listed plugin already stands in the phase: each entry's params are merged (deeply) into
 *   the base entry of that plugin (the k-th listing of a plugin into its k-th base entry); the
 *   phase's other entries stay;
 * - some listed plugin is not there (or an empty list): the list replaces the whole phase. Entries
 *   of plugins that were there still inherit their base params, so swapping one exit while tuning
 *   another does not reset the one kept.
 * `{}` is the baseline.
 */
export function applyOverrides(workforce: Workforce, overrides: Record<string, unknown>, file: string, field: string): Workforce {
  const result = cloneJson(workforce);
  for (const [category, phases] of Object.entries(overrides)) {
    // Own keys only: `toString` or `constructor` are "in" every object through its prototype.
    if (!Object.hasOwn(PHASES, category)) {
      throw new ConfigError(file, joinPath(field, category), `unknown worker category "${category}"; expected one of ${quoteList(Object.keys(PHASES))}`);
    }
    if (!isPlainObject(phases)) {
      throw new ConfigError(file, joinPath(field, category), 'must be a map of phases to plugin lists');
    }
    const allowed: readonly string[] = PHASES[category as WorkerCategory];
    const target = result[category as WorkerCategory] as Record<string, PluginEntry[]>;
    for (const [phase, list] of Object.entries(phases)) {
      if (!allowed.includes(phase)) {
        throw new ConfigError(file, joinPath(field, category, phase), `"${phase}" is not a phase of ${category}: ${quoteList(allowed)}`);
      }
      const entries = parseWith(OverridePhaseSchema, list, file, joinPath(field, category, phase));
      target[phase] = overridePhase(target[phase] ?? [], entries);
    }
  }
  return result;
}

function overridePhase(base: PluginEntry[], entries: PluginEntry[]): PluginEntry[] {
  // Pair the k-th override of a plugin with the k-th base entry of that plugin.
  const seen = new Map<string, number>();
  const matches = entries.map((entry) => {
    const k = seen.get(entry.plugin) ?? 0;
    seen.set(entry.plugin, k + 1);
    return base.filter((b) => b.plugin === entry.plugin)[k];
  });
  const merge = (entry: PluginEntry, match: PluginEntry | undefined): PluginEntry =>
    match ? { ...match, params: deepMerge(match.params, entry.params) } : cloneJson(entry);

  if (entries.length > 0 && matches.every((m) => m !== undefined)) {
    return base.map((b) => {
      const i = matches.indexOf(b);
      return i < 0 ? b : merge(entries[i], b);
    });
  }
  return entries.map((entry, i) => merge(entry, matches[i]));
}

function deepMerge(base: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = cloneJson(base);
  for (const [key, value] of Object.entries(patch)) {
    const own = Object.hasOwn(out, key) ? out[key] : undefined;
    setOwn(out, key, isPlainObject(own) && isPlainObject(value) ? deepMerge(own, value) : cloneJson(value));
  }
  return out;
}

/**
 * Sets a grid combination's values into the workforce: each axis writes `combo[label]` into the
 * params of the plugin it names in its category and phase. The loader has checked that each such
 * plugin stands exactly once in its phase, so a missing one is a bug.
 */
export function applyCombo(workforce: Workforce, grid: Grid, combo: Combo): Workforce {
  const result = cloneJson(workforce);
  for (const axis of grid.axes) {
    const phase = (result[axis.category] as Record<string, PluginEntry[]>)[axis.phase];
    const entry = phase?.find((e) => e.plugin === axis.plugin);
    if (!entry) throw new Error(`grid axis ${axis.label}: ${axis.plugin} is not in ${axis.category}.${axis.phase}`);
    if (!(axis.label in combo)) throw new Error(`combination has no value for axis ${axis.label}`);
    entry.params[axis.param] = combo[axis.label];
  }
  return result;
}
