import { createHash } from 'node:crypto';
import { BUILTIN_PLUGINS, pluginCodeOf, type PluginSet } from '../engine/plugins/registry.js';
import { RESULTS_VERSION } from '../engine/results-version.js';
import { validateWorkforce } from './blueprint.js';
import { ConfigError, parseWith } from './errors.js';
import { isPlainObject } from '../core/json.js';
import { comboAt } from './grid.js';
import { MaterializedOperationSchema, resolvedFromMaterialized, type MaterializedOperation } from './materialize.js';
import { operationAt } from './operation-at.js';
import type { PluginEntry, Workforce } from './schemas.js';
import type { SweepSpec } from './sweep.js';

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
 * uses (plugin_code: file → bundled code hash; absent for built-ins only), and the results version
 * of the code that computes it (src/engine/results-version.ts), so reuse by hash never crosses code
 * whose results differ. Left out as labels: display_name,
 * the blueprint's name and description, the environment and data source ids, and a csv file's path
 * (its sha256 stands for its content, so the same bars under another name are the same operation).
 */
export function operationHash(op: MaterializedOperation, plugins: PluginSet = BUILTIN_PLUGINS): string {
  return sha256Hex(canonicalJson(hashInput(op, plugins)));
}

/** The document an operation's hash is taken over (validated and normalized on the way). */
function hashInput(op: MaterializedOperation, plugins: PluginSet): { workforce: Workforce; environment: unknown; data: unknown; code: unknown; results_version: number } {
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
  return { workforce, environment, data, code, results_version: RESULTS_VERSION };
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export interface SweepHasher {
  hash(idx: number): string;
  /** True when hashes are derived from the base's normalized form, false when each is taken in full. */
  derived: boolean;
}

/**
 * The hash of every operation of a sweep by index, equal to `operationHash(operationAt(spec, idx, plugins).op, plugins)`
 * but without materializing and validating each combination (docs/store.md, "Hashing"): a grid
 * combination differs from its base only in the swept params, and a valid param value is its own
 * normalized form, so the base's normalized document is written once as canonical JSON with a hole
 * per axis, and each combination only fills the holes and hashes. The first combination is checked
 * against the full path; a schema that rewrites a swept value (there is none today) would fail that
 * check, and the sweep then hashes every operation the full way rather than wrongly.
 */
export function sweepHasher(spec: SweepSpec, plugins: PluginSet = BUILTIN_PLUGINS): SweepHasher {
  const full = { hash: (idx: number) => operationHash(operationAt(spec, idx, plugins).op, plugins), derived: false };
  if (spec.kind !== 'optimization' || spec.grid.size === 0) return full;
  const { grid } = spec;
  const document = hashInput(operationAt(spec, 0, plugins).op, plugins);
  const holes = grid.axes.map((_, a) => `\u0000axis${a}\u0000`);
  grid.axes.forEach((axis, a) => {
    const entry = (document.workforce[axis.category] as Record<string, PluginEntry[]>)[axis.phase]!.find((e) => e.plugin === axis.plugin)!;
    entry.params[axis.param] = holes[a];
  });
  // Keys sort the same whatever the values, so the text splits around the holes in axis order.
  const text = canonicalJson(document);
  const pieces: string[] = [];
  const order: number[] = [];
  let rest = text;
  for (;;) {
    let at = -1;
    let axis = -1;
    holes.forEach((hole, a) => {
      const i = rest.indexOf(JSON.stringify(hole));
      if (i >= 0 && (at < 0 || i < at)) [at, axis] = [i, a];
    });
    if (at < 0) break;
    pieces.push(rest.slice(0, at));
    order.push(axis);
    rest = rest.slice(at + JSON.stringify(holes[axis]).length);
  }
  pieces.push(rest);
  // The text before the first hole is hashed once; each combination continues from a copy.
  const prefix = createHash('sha256').update(pieces[0]!);
  const derived = (idx: number): string => {
    const combo = comboAt(grid, idx);
    const hash = prefix.copy();
    for (let k = 0; k < order.length; k++) hash.update(canonicalJson(combo[grid.axes[order[k]!]!.label]) + pieces[k + 1]!);
    return hash.digest('hex');
  };
  try {
    return derived(0) === full.hash(0) ? { hash: derived, derived: true } : full;
  } catch {
    // Combination 0 does not validate (the constraint keeps it out of the sweep): no check, no shortcut.
    return full;
  }
}
