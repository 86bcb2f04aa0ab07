import { BUILTIN_PLUGINS, type PluginSet } from '../engine/plugins/registry.js';
import { bundleWorkspacePlugins, type PluginBundle } from './bundle.js';
import { pluginSetFromBundle } from './evaluate.js';

export { bundleWorkspacePlugins, type PluginBundle } from './bundle.js';
export { pluginSetFromBundle } from './evaluate.js';

/** The plugins a workspace's files can name, and the bundle of its own code (null when it has none). */
export interface WorkspacePlugins {
  set: PluginSet;
  bundle: PluginBundle | null;
}

/** Bundles and loads `<data root>/plugins`; the built-ins alone when the folder has no plugin file. */
export function loadWorkspacePlugins(dataRoot: string): WorkspacePlugins {
  const bundle = bundleWorkspacePlugins(dataRoot);
  return bundle ? { set: pluginSetFromBundle(bundle), bundle } : { set: BUILTIN_PLUGINS, bundle: null };
}
