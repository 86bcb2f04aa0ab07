/*
 * The guest runtime: the one module of sweeplab that runs INSIDE a plugin file's realm
 * (src/user-plugins/realm.ts bundles it with the public module `sweeplab/plugin` and evaluates the
 * bundle in each realm; host code never imports it). It loads the file's bundled code with a
 * `require` that answers only "sweeplab/plugin", and it is the realm's side of every call the host
 * makes into a plugin: values cross as JSON text and numbers, never as host objects, and it names
 * the running plugin for the series cache (src/plugin/cache-scope.ts).
 *
 * Nothing here is trusted by the host: plugin code shares this realm and may replace its globals,
 * so the host checks every value that comes back (src/user-plugins/adapter.ts). The bindings below
 * are taken before any plugin code runs only so that such a plugin breaks itself, not the others of
 * its file.
 */
import { isPluginDefinition, type PluginDefinition } from '../engine/plugins/types.js';
import { cacheScope } from '../plugin/cache-scope.js';
import * as publicModule from '../plugin/index.js';

const { parse, stringify } = JSON;
const apply = Reflect.apply;
const { keys, values, freeze } = Object;
const RealmSet = Set;

/** The import a plugin file may make beyond its own files. */
const PUBLIC_MODULE = 'sweeplab/plugin';

/** A bundled plugin file compiled in this realm: given module, exports, require and the built-ins, it returns the file's code as a function. */
type Run = (...args: unknown[]) => () => void;

/** Runs one bundled plugin file; the plugins it exports. */
export function load(run: Run, globals: unknown[]): PluginDefinition[] {
  const module = { exports: {} as Record<string, unknown> };
  const require = (id: string) => {
    if (id === PUBLIC_MODULE) return publicModule;
    throw new Error(`cannot import "${id}": a plugin imports only "${PUBLIC_MODULE}" and files of the plugins folder (it computes from bars and params alone)`);
  };
  apply(apply(run, undefined, [module, module.exports, require, ...globals]), module.exports, []);
  return [...new RealmSet(values(module.exports).filter(isPluginDefinition))];
}

/** What the host reads of a definition, as JSON text (the host checks it again). */
export function describe(definition: PluginDefinition): string {
  return stringify({
    name: definition.name,
    phase: definition.phases[0],
    doc: definition.doc,
    setsStop: definition.setsStop,
    needsStop: definition.needsStop,
    params: keys(definition.params.shape),
  });
}

/** `params.safeParse` of JSON text `{ "value": … }`, its result as JSON text (issues without their input). */
export function parseParams(definition: PluginDefinition, text: string, key?: string): string {
  const schema = key === undefined ? definition.params : definition.params.shape[key];
  if (!schema) return stringify({ success: false, issues: [{ code: 'custom', path: [], message: `no parameter "${key}"` }] });
  const result = schema.safeParse(parse(text).value);
  if (result.success) return stringify({ success: true, data: result.data });
  return stringify({ success: false, issues: result.error.issues }, (k, v) => (k === 'input' ? undefined : typeof v === 'bigint' ? String(v) : v));
}

export function lookback(definition: PluginDefinition, params: string): unknown {
  return within(definition.name, () => definition.lookback(parse(params)));
}

/** `create`, and the worker it returns read out into a fresh object of data properties only. */
export function create(definition: PluginDefinition, bars: unknown, params: string): unknown {
  return within(definition.name, () => {
    const worker: unknown = definition.create(bars as never, parse(params));
    if (typeof worker !== 'object' || worker === null) return { kind: undefined, shown: String(worker) };
    const w = worker as Record<string, unknown>;
    const kind = w.kind;
    switch (kind) {
      case 'signal':
        return { kind, events: w.events, direction: w.direction };
      case 'filter':
        return { kind, self: w, method: w.allowsEntry };
      case 'entry':
        return { kind, self: w, method: w.limitPrice, validBars: w.validBars };
      case 'exit':
        return { kind, self: w, method: w.plan };
      case 'size':
        return { kind, self: w, method: w.size };
      default:
        return { kind: typeof kind === 'string' ? kind : undefined, shown: String(worker) };
    }
  });
}

/** A worker method, called with numbers only, as plugin `name`. */
export function call(name: string, method: unknown, self: unknown, a: number, b: number, c: number, d: number): unknown {
  return within(name, () => apply(method as (...args: number[]) => unknown, self, [a, b, c, d]));
}

/** An exit worker's `plan` on a levels object of this realm; the four levels it leaves, in an array. */
export function plan(name: string, method: unknown, self: unknown, side: number, entryPrice: number, signalBar: number, stop: number, target: number, trailPct: number, maxBars: number): unknown[] {
  return within(name, () => {
    const levels = { stop, target, trailPct, maxBars };
    apply(method as (...args: unknown[]) => unknown, self, [side, entryPrice, signalBar, levels]);
    return [levels.stop, levels.target, levels.trailPct, levels.maxBars];
  });
}

/** A BarSeries over arrays the host made in this realm; frozen, so no plugin swaps a column for the next. */
export function makeBars(time: Float64Array, open: Float64Array, high: Float64Array, low: Float64Array, close: Float64Array, volume: Float64Array, length: number): unknown {
  return freeze({ time, open, high, low, close, volume, length });
}

function within<T>(name: string, fn: () => T): T {
  const outer = cacheScope.plugin;
  cacheScope.plugin = name;
  try {
    return fn();
  } finally {
    cacheScope.plugin = outer;
  }
}
