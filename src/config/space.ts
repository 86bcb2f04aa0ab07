import type { z } from 'zod';
import { findPlugin, type PluginDefinition, type PluginSet } from '../engine/plugins/registry.js';
import { ConfigError, fromZodError, joinPath } from './errors.js';
import { compileWhere, refuseCostlyWhere } from './expression.js';
import { rangeLength, rangeValues, type AxisValue, type Combo, type Grid } from './grid.js';
import type { ResolvedOperation } from './resolved.js';
import { quoteList, type OptimizationConfig, type PluginEntry, type Range } from './schemas.js';
import { didYouMean } from '../core/suggest.js';

/*
 * The optimization checks that need the base blueprint and the plugin registry: every axis must
 * name a real parameter of a plugin that stands (once) in the base, every value must be one the
 * plugin accepts, the grid must fit under max_combinations, and every combination the `where`
 * clause lets through must be accepted by its plugins as a whole (cross-parameter rules such as
 * sma_cross's fast < slow), so a sweep never starts operations that are bound to fail.
 */

const SPACE = 'optimization_config.parameter_space';
const WHERE = 'optimization_config.constraints.where';

/** Checks each group and axis against the base blueprint, the grid size, then every axis value. */
export function checkParameterSpace(config: OptimizationConfig, base: ResolvedOperation, file: string, plugins: PluginSet): void {
  const seen = new Map<string, string>();
  const axes: Array<{ field: string; plugin: string; param: string; schema: z.ZodType; range: Range }> = [];
  config.parameter_space.forEach((group, g) => {
    const groupField = joinPath(SPACE, g);
    const { plugin } = baseEntry(base, group.worker_category, group.worker_phase, group.worker_plugin, file, groupField, plugins);
    const known = Object.keys(plugin.params.shape);
    for (const [param, range] of Object.entries(group.parameters)) {
      const field = joinPath(groupField, 'parameters', param);
      if (!known.includes(param)) {
        throw new ConfigError(file, field, `"${param}" is not a parameter of ${plugin.name}${didYouMean(param, known)} (parameters: ${quoteList(known)})`);
      }
      const key = `${group.worker_category}.${group.worker_phase}.${group.worker_plugin}.${param}`;
      const earlier = seen.get(key);
      if (earlier) throw new ConfigError(file, field, `is already swept at ${earlier}`);
      seen.set(key, field);
      axes.push({ field, plugin: plugin.name, param, schema: plugin.params.shape[param] as z.ZodType, range });
    }
  });

  // Sizes first, so an enormous range is refused before its values are built.
  const size = axes.reduce((product, axis) => product * rangeLength(axis.range), 1);
  const max = config.parallel_config.max_combinations;
  if (size > max) {
    throw new ConfigError(
      file,
      SPACE,
      `makes ${size.toLocaleString('en-US')} combinations, more than parallel_config.max_combinations (${max.toLocaleString('en-US')}); narrow the ranges or raise optimization_config.parallel_config.max_combinations`,
    );
  }

  for (const { field, plugin, param, schema, range } of axes) {
    const listed = 'values' in range;
    const values = rangeValues(range);
    values.forEach((value, k) => {
      const at = listed ? joinPath(field, 'values', k) : field;
      const parsed = schema.safeParse(value);
      if (!parsed.success) {
        throw new ConfigError(file, at, `${shown(value)} is rejected by ${plugin}.${param}: ${fromZodError(file, parsed.error).reason}`);
      }
      if (listed && values.indexOf(value) !== k) throw new ConfigError(file, at, `${shown(value)} is listed twice`);
    });
  }
}

/**
 * Counts the combinations that satisfy `where`, and checks each one against the full schema of
 * every plugin it changes. A combination changes a plugin only through that plugin's own axes, so
 * each distinct tuple of one plugin's values is parsed once, however many combinations share it.
 */
export function countAdmissible(config: OptimizationConfig, base: ResolvedOperation, grid: Grid, file: string, plugins: PluginSet): number {
  const where = config.constraints.where;
  const compiled = where ? compileWhere(where, grid, file, WHERE) : null;
  if (compiled) refuseCostlyWhere(compiled, where!, grid, file, WHERE);
  const admissibleAt = compiled ?? (() => true);

  // One group per plugin swept: its axes (as grid axis numbers) and a bitmap of the value tuples used.
  const groups = new Map<string, { axes: number[]; used: Uint8Array | null; stride: number[] }>();
  grid.axes.forEach((axis, a) => {
    const key = `${axis.category}.${axis.phase}.${axis.plugin}`;
    const group = groups.get(key) ?? { axes: [], used: null, stride: [] };
    group.axes.push(a);
    groups.set(key, group);
  });
  for (const group of groups.values()) {
    let tuples = 1;
    for (let j = group.axes.length - 1; j >= 0; j--) {
      group.stride[j] = tuples;
      tuples *= grid.axes[group.axes[j]].values.length;
    }
    group.used = new Uint8Array(tuples);
  }

  const picks = new Array<number>(grid.axes.length);
  const combo: Combo = {};
  let admissible = 0;
  for (let index = 0; index < grid.size; index++) {
    let rest = index;
    for (let a = grid.axes.length - 1; a >= 0; a--) {
      const length = grid.axes[a].values.length;
      picks[a] = rest % length;
      rest = Math.floor(rest / length);
      combo[grid.axes[a].label] = grid.axes[a].values[picks[a]];
    }
    if (!admissibleAt(combo)) continue;
    admissible++;
    for (const group of groups.values()) {
      let tuple = 0;
      group.axes.forEach((a, j) => (tuple += picks[a] * group.stride[j]));
      group.used![tuple] = 1;
    }
  }
  if (admissible === 0) {
    throw new ConfigError(file, WHERE, `no combination satisfies where "${where}" (all ${grid.size.toLocaleString('en-US')} are excluded)`);
  }

  for (const group of groups.values()) {
    const first = grid.axes[group.axes[0]];
    const { entry, plugin } = baseEntry(base, first.category, first.phase, first.plugin, file, SPACE, plugins);
    group.used!.forEach((used, tuple) => {
      if (!used) return;
      const values: Record<string, AxisValue> = {};
      group.axes.forEach((a, j) => {
        const axis = grid.axes[a];
        values[axis.param] = axis.values[Math.floor(tuple / group.stride[j]) % axis.values.length];
      });
      const parsed = plugin.params.safeParse({ ...entry.params, ...values });
      if (!parsed.success) {
        const error = fromZodError(file, parsed.error);
        const setting = Object.entries(values).map(([k, v]) => `${k}=${shown(v)}`).join(', ');
        throw new ConfigError(
          file,
          where ? WHERE : SPACE,
          `${first.plugin} rejects the combination ${setting}: ${error.field ? `${error.field} ` : ''}${error.reason}; exclude such combinations with constraints.where`,
        );
      }
    });
  }
  return admissible;
}

/** The one entry of `pluginName` in that phase of the base blueprint, with its definition. */
function baseEntry(
  base: ResolvedOperation,
  category: string,
  phase: string,
  pluginName: string,
  file: string,
  groupField: string,
  plugins: PluginSet,
): { entry: PluginEntry; plugin: PluginDefinition } {
  const entries = ((base.blueprint.workforce as Record<string, Record<string, PluginEntry[]>>)[category]?.[phase] ?? []);
  const matching = entries.filter((e) => e.plugin === pluginName);
  const where = `${category}.${phase}`;
  if (matching.length === 0) {
    const present = entries.map((e) => e.plugin);
    throw new ConfigError(
      file,
      joinPath(groupField, 'worker_plugin'),
      `"${pluginName}" does not stand in ${where} of the base blueprint${didYouMean(pluginName, present)} (it holds ${quoteList(present)})`,
    );
  }
  if (matching.length > 1) {
    throw new ConfigError(file, joinPath(groupField, 'worker_plugin'), `"${pluginName}" stands ${matching.length} times in ${where}; a parameter group cannot tell them apart`);
  }
  // The base blueprint was validated against this plugin set, so the plugin exists.
  return { entry: matching[0], plugin: findPlugin(pluginName, plugins)! };
}

function shown(value: AxisValue): string {
  return typeof value === 'string' ? `"${value}"` : String(value);
}
