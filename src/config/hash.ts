import { createHash } from 'node:crypto';
import { BUILTIN_PLUGINS, pluginCodeOf, type PluginSet } from '../engine/plugins/registry.js';
import { validateWorkforce } from './blueprint.js';
import { ConfigError, parseWith } from './errors.js';
import { isPlainObject } from './json.js';
import { MaterializedOperationSchema, resolvedFromMaterialized, type MaterializedOperation } from './materialize.js';

/**
 * JSON with object keys sorted (by code unit, independent of locale) and no whitespace, so equal
 * data always gives the same text. Numbers print as JavaScript's shortest round-trip form (1.0 and
 * 1 are the same number; -0 prints as 0). `undefined` members are left out as JSON does; anything
 * JSON cannot represent exactly (NaN, Infinity, functions, class instances) is a bug and throws.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`canonicalJson: ${value} has no JSON form`);
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item)).join(',')}]`;
  if (isPlainObject(value)) {
    const keys = Object.keys(value)
      .filter((key) => value[key] !== undefined)
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(value[key])}`).join(',')}}`;
  }
  throw new Error(`canonicalJson: cannot represent ${Object.prototype.toString.call(value)}`);
}

/**
 * The identity of an operation's result: sha256 (hex) over what determines it — the workforce with
 * params normalized by the plugin schemas (so an omitted default and the default written out are
 * the same), the environment with defaults applied, the data, and the code of the user plugins it
 * uses (plugin_code: file → bundled code hash; absent for built-ins only, so those operations hash
 * as they always did). Left out as labels: display_name,
 * the blueprint's name and description, the environment and data source ids, and a csv file's path
 * (its sha256 stands for its content, so the same bars under another name are the same operation).
 */
export function operationHash(op: MaterializedOperation, plugins: PluginSet = BUILTIN_PLUGINS): string {
  const file = `operation "${op.display_name}"`;
  const parsed = parseWith(MaterializedOperationSchema, op, file);
  const resolved = resolvedFromMaterialized(parsed);
  const workforce = validateWorkforce(resolved.blueprint.workforce, file, 'strategy_links[0].strategy_blueprint.workforce', plugins);
  const { data_source: _dataSourceId, ...environment } = resolved.environment;
  const source = resolved.data_source;
  const data = source.type === 'csv_archive' ? { ...source, path: undefined } : source;
  // The code is the set's, so an operation cannot claim code it would not run with.
  const code = pluginCodeOf(workforce, plugins);
  if (canonicalJson(code ?? null) !== canonicalJson(parsed.plugin_code ?? null)) {
    throw new ConfigError(file, 'plugin_code', `names plugin code ${canonicalJson(parsed.plugin_code ?? null)}, but the plugins it runs with are ${canonicalJson(code ?? null)}`);
  }
  return createHash('sha256').update(canonicalJson({ workforce, environment, data, code })).digest('hex');
}
