import vm from 'node:vm';
import { BUILTIN_PLUGINS, type PluginDefinition, type PluginSet } from '../src/engine/index.js';
import * as hostPublicModule from '../src/plugin/index.js';
import { fileCodeHash, type BundledFile } from '../src/user-plugins/bundle.js';

/**
 * A bundle's plugins evaluated in the host, with the host's sweeplab/plugin: user code unisolated and
 * unchecked, as it ran before isolation (what bench/isolation.ts weighs isolation against).
 */
export function hostEvaluated(text: string): PluginSet {
  const byName = new Map(BUILTIN_PLUGINS.byName);
  for (const file of (JSON.parse(text) as { files: BundledFile[] }).files) {
    const module = { exports: {} as Record<string, unknown> };
    vm.compileFunction(file.code, ['module', 'exports', 'require'])(module, module.exports, () => hostPublicModule);
    for (const value of Object.values(module.exports)) {
      const definition = value as PluginDefinition;
      byName.set(definition.name, { ...definition, source: { file: file.file, code_hash: fileCodeHash(file) } });
    }
  }
  return { byName, bundle_hash: null };
}
