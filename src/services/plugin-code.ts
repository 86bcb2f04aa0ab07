import { ApplicationFailure } from '@temporalio/activity';
import { DataError, isUserError } from '../config/errors.js';
import { BUILTIN_PLUGINS, type PluginSet } from '../engine/plugins/registry.js';
import type { Store } from '../store/types.js';
import { pluginSetFromBundle, type PluginBundle } from '../user-plugins/index.js';

/*
 * A sweep names its user plugin code by the hash of its bundle (SweepSpec.plugin_bundle). A worker
 * needs no plugins folder of its own: it fetches the bundle from the results store, keeps it in
 * memory, and hands it to its backtest threads, which check that it hashes to that name before they
 * first run it. So a worker never runs a sweep's operations with other code.
 */

export interface SweepCode {
  set: PluginSet;
  bundle: PluginBundle | null;
}

const BUILTINS_ONLY: SweepCode = { set: BUILTIN_PLUGINS, bundle: null };

/** The code of sweeps by bundle hash, fetched once per worker process. */
export function createSweepCodeSource(store: Store): (hash: string | null | undefined) => Promise<SweepCode> {
  const cache = new Map<string, Promise<SweepCode>>();
  return (hash) => {
    if (!hash) return Promise.resolve(BUILTINS_ONLY);
    let code = cache.get(hash);
    if (!code) {
      code = fetchCode(store, hash);
      cache.set(hash, code);
      // A failed fetch (the store was unreachable) is tried again by the next activity.
      code.catch(() => cache.delete(hash));
    }
    return code;
  };
}

async function fetchCode(store: Store, hash: string): Promise<SweepCode> {
  try {
    return await sweepCodeFromStore(store, hash);
  } catch (error) {
    if (isUserError(error)) throw ApplicationFailure.create({ type: error.name, message: error.message, nonRetryable: true });
    throw error;
  }
}

/** The code stored under `hash` (null: built-ins only); a ConfigError when it is missing, or, on first use of `set`, bad. */
export async function sweepCodeFromStore(store: Store, hash: string | null | undefined): Promise<SweepCode> {
  if (!hash) return BUILTINS_ONLY;
  const text = await store.getPluginBundle(hash);
  if (text === null) {
    throw new DataError('plugin bundle', hash, 'is not in the results store; submit the sweep again from its workspace');
  }
  const bundle = { hash, text };
  let set: PluginSet | undefined;
  // Evaluated on first use only: a sweep's activities hand the bundle to their contained backtest
  // threads, which check its hash and load it there (docs/plugins.md, "How plugin code is
  // contained"), and never run its code in this thread.
  return {
    bundle,
    get set() {
      return (set ??= pluginSetFromBundle(bundle));
    },
  };
}
