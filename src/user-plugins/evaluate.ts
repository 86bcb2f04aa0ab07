import { SourceMap } from 'node:module';
import { ConfigError, DataError } from '../config/errors.js';
import { BUILTIN_PLUGINS, builtinFile, type PluginSet } from '../engine/plugins/registry.js';
import type { PluginDefinition, PluginSource } from '../engine/plugins/types.js';
import { guestDefinition, shown } from './adapter.js';
import { fileCodeHash, PUBLIC_MODULE, sha256, type BundledFile, type PluginBundle } from './bundle.js';
import { createRealm, FRAME_PREFIX } from './realm.js';

/*
 * A bundle's code becomes plugins: each file runs in a guest realm of its own (src/user-plugins/realm.ts),
 * with its own copy of "sweeplab/plugin", and every export made by definePlugin there becomes a host
 * PluginDefinition that calls into the realm and checks what comes back (src/user-plugins/adapter.ts).
 * Whatever plugin code throws is traced back through the file's source map to the user's file and line.
 */

/** Plugin sets by bundle hash: a worker evaluates a bundle once per thread, not once per operation. */
const evaluated = new Map<string, PluginSet>();
const EVALUATED_KEEP = 8;

/**
 * The built-ins plus the bundle's plugins. Refuses a bundle whose text does not hash to its name (a
 * worker never runs code of another hash), a name taken by a built-in or another file, a file that
 * defines no plugin, and a file that throws while loading (named by file and line).
 */
export function pluginSetFromBundle(bundle: PluginBundle): PluginSet {
  const known = evaluated.get(bundle.hash);
  if (known) return known;
  const actual = sha256(bundle.text);
  if (actual !== bundle.hash) {
    throw new DataError('plugin bundle', bundle.hash, `the stored code hashes to "${actual}", not to its name; refusing to run it`);
  }
  const { files } = JSON.parse(bundle.text) as { files: BundledFile[] };
  const maps = new Map<string, SourceMap>();
  const byName = new Map(BUILTIN_PLUGINS.byName);
  const fileOf = new Map<string, string>();
  for (const file of files) {
    maps.set(file.file, new SourceMap(JSON.parse(file.map)));
    const definitions = definitionsOf(file, { file: file.file, code_hash: fileCodeHash(file) }, maps);
    for (const definition of definitions) {
      const builtin = builtinFile(definition.name);
      if (builtin) {
        throw new ConfigError(file.file, '', `plugin "${definition.name}" has the name of a built-in plugin (${builtin} in sweeplab); give it another name`);
      }
      const other = fileOf.get(definition.name);
      if (other !== undefined) {
        throw new ConfigError(file.file, '', `plugin "${definition.name}" is also defined in ${other === file.file ? 'another export of this file' : other}; plugin names must be unique`);
      }
      fileOf.set(definition.name, file.file);
      byName.set(definition.name, definition);
    }
  }
  const set: PluginSet = { byName, bundle_hash: bundle.hash };
  evaluated.set(bundle.hash, set);
  if (evaluated.size > EVALUATED_KEEP) evaluated.delete(evaluated.keys().next().value!);
  return set;
}

function definitionsOf(file: BundledFile, source: PluginSource, maps: Map<string, SourceMap>): PluginDefinition[] {
  const realm = createRealm();
  const fault = (thrown: unknown, plugin: string | null) => faultOf(thrown, plugin, source.file, maps);
  let handles: unknown[];
  try {
    const definitions = realm.load(file.code, file.file);
    handles = Array.from({ length: definitions.length }, (_, i) => definitions[i]);
  } catch (error) {
    throw fault(error, null);
  }
  if (handles.length === 0) {
    throw new ConfigError(file.file, '', `defines no plugin: export one made with definePlugin from "${PUBLIC_MODULE}" (docs/plugins.md)`);
  }
  return handles.map((handle) => guestDefinition(realm, handle, source, fault));
}

/**
 * What plugin code threw, as a ConfigError: named by the user's file, line and column of the
 * innermost plugin frame (through the source map) when it is an Error thrown in plugin code, else by
 * the plugin's file. `plugin` is null while the file loads. Nothing of the thrown value is called:
 * its name, message and stack are read as plain properties (a throwing getter counts as a value
 * without them).
 */
function faultOf(thrown: unknown, plugin: string | null, file: string, maps: Map<string, SourceMap>): ConfigError {
  const who = plugin === null ? 'the plugin file throws while loading:' : `plugin "${plugin}" threw`;
  const name = property(thrown, 'name');
  const message = property(thrown, 'message');
  const stack = property(thrown, 'stack');
  if (typeof name !== 'string' || typeof message !== 'string' || typeof stack !== 'string') {
    return new ConfigError(file, '', `${who} ${shown(thrown)}, which is not an Error (throw new Error(…) to say where and why)`);
  }
  // definePlugin's own checks (sweeplab/plugin in the realm) throw a ConfigError that says what is wrong.
  const what = name === 'ConfigError' ? message : `${name}: ${message}`;
  const frame = new RegExp(`${FRAME_PREFIX}(.+?):(\\d+):(\\d+)`).exec(stack);
  if (!frame) return new ConfigError(file, '', `${who} ${what}`);
  const [, bundled, line, column] = frame;
  const entry = maps.get(bundled)?.findEntry(Number(line) - 1, Number(column) - 1);
  const at = entry && 'originalSource' in entry ? `${entry.originalSource}:${entry.originalLine + 1}:${entry.originalColumn + 1}` : `${bundled}:${line}:${column}`;
  return new ConfigError(at, '', `${who} ${what}`);
}

/** A property of a thrown value, read without letting a getter's exception escape. */
function property(value: unknown, key: string): unknown {
  if ((typeof value !== 'object' && typeof value !== 'function') || value === null) return undefined;
  try {
    const got: unknown = (value as Record<string, unknown>)[key];
    return typeof got === 'string' ? got : undefined;
  } catch {
    return undefined;
  }
}
