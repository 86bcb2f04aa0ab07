import { SourceMap } from 'node:module';
import vm from 'node:vm';
import { ConfigError, isConfigError } from '../config/errors.js';
import { BUILTIN_PLUGINS, builtinFile, type PluginSet } from '../engine/plugins/registry.js';
import { isPluginDefinition, type PluginDefinition } from '../engine/plugins/types.js';
import * as publicModule from '../plugin/index.js';
import { fileCodeHash, PUBLIC_MODULE, sha256, type BundledFile, type PluginBundle } from './bundle.js';

/*
 * A bundle's code becomes plugins: each file is compiled as a CommonJS function whose `require`
 * answers "sweeplab/plugin" with this process's own module (so user schemas are built with the very
 * zod sweeplab validates with), and every export made by definePlugin is a plugin. An error from
 * plugin code is traced back through the file's source map to the user's file and line.
 */

/** Prefix of the file names plugin code is compiled under, so its stack frames can be told apart. */
const FRAME_PREFIX = 'sweeplab-plugin:';

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
    throw new ConfigError('plugin bundle', bundle.hash, `the stored code hashes to "${actual}", not to its name; refusing to run it`);
  }
  const { files } = JSON.parse(bundle.text) as { files: BundledFile[] };
  const maps = new Map<string, SourceMap>();
  const owners = new Map<string, string[]>();
  const byName = new Map(BUILTIN_PLUGINS.byName);
  const fileOf = new Map<string, string>();
  for (const file of files) {
    maps.set(file.file, new SourceMap(JSON.parse(file.map)));
    const source = { file: file.file, code_hash: fileCodeHash(file) };
    const definitions = definitionsOf(file, maps);
    owners.set(file.file, definitions.map((d) => d.name));
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
      byName.set(definition.name, { ...definition, source });
    }
  }
  const set: PluginSet = { byName, bundle_hash: bundle.hash, faultOf: (error) => faultOf(error, maps, owners) };
  evaluated.set(bundle.hash, set);
  if (evaluated.size > EVALUATED_KEEP) evaluated.delete(evaluated.keys().next().value!);
  return set;
}

function definitionsOf(file: BundledFile, maps: Map<string, SourceMap>): PluginDefinition[] {
  const module = { exports: {} as Record<string, unknown> };
  try {
    const run = vm.compileFunction(file.code, ['module', 'exports', 'require'], { filename: `${FRAME_PREFIX}${file.file}` });
    run(module, module.exports, (id: string) => {
      if (id === PUBLIC_MODULE) return publicModule;
      throw new Error(`cannot import "${id}": a plugin imports only "${PUBLIC_MODULE}" and files of the plugins folder (it computes from bars and params alone)`);
    });
  } catch (error) {
    throw (
      faultOf(error, maps, new Map()) ??
      new ConfigError(file.file, '', `throws while loading: ${error instanceof Error ? error.message : String(error)}`)
    );
  }
  const definitions = [...new Set(Object.values(module.exports).filter(isPluginDefinition))];
  if (definitions.length === 0) {
    throw new ConfigError(file.file, '', `defines no plugin: export one made with definePlugin from "${PUBLIC_MODULE}" (docs/plugins.md)`);
  }
  return definitions;
}

/**
 * An error thrown from plugin code (its innermost frame in a plugin file) as a ConfigError named
 * by the user's file, line and column; null for an error that did not come from plugin code.
 */
function faultOf(error: unknown, maps: Map<string, SourceMap>, owners: Map<string, string[]>): ConfigError | null {
  if (!(error instanceof Error) || typeof error.stack !== 'string') return null;
  const frame = new RegExp(`${FRAME_PREFIX}(.+?):(\\d+):(\\d+)`).exec(error.stack);
  if (!frame) return null;
  const [, bundled, line, column] = frame;
  const entry = maps.get(bundled)?.findEntry(Number(line) - 1, Number(column) - 1);
  const at = entry && 'originalSource' in entry ? `${entry.originalSource}:${entry.originalLine + 1}:${entry.originalColumn + 1}` : `${bundled}:${line}:${column}`;
  const names = owners.get(bundled) ?? [];
  const who = names.length === 1 ? `plugin "${names[0]}"` : names.length ? `a plugin of ${bundled} (${names.map((n) => `"${n}"`).join(', ')})` : 'the plugin file';
  // A ConfigError from sweeplab/plugin (definePlugin's checks) already says what is wrong.
  const what = isConfigError(error) ? error.message : `${error.name}: ${error.message}`;
  return new ConfigError(at, '', names.length ? `${who} threw ${what}` : `${who} throws while loading: ${what}`);
}
