import * as thread from '../src/activities/backtest-thread.js';
import { BUILTIN_PLUGINS, type PluginDefinition } from '../src/engine/index.js';
import type { PluginBundle } from '../src/user-plugins/index.js';
import { hostEvaluated } from './host-evaluated.js';

/*
 * The backtest thread of an unisolated sweep (bench/isolation.ts, through createBacktestPool's
 * `unisolated`): the sweep's bundle is evaluated in this thread unchecked and its plugins put beside
 * the built-ins, then the task runs as a built-in sweep's does, in the same code.
 */

const registered = new Set<string>();

function unisolated<T extends { plugins: PluginBundle | null }>(task: T): T {
  if (task.plugins && !registered.has(task.plugins.hash)) {
    const builtins = BUILTIN_PLUGINS.byName as Map<string, PluginDefinition>;
    for (const [name, definition] of hostEvaluated(task.plugins.text).byName) builtins.set(name, definition);
    registered.add(task.plugins.hash);
  }
  return { ...task, plugins: null };
}

export const hashOperations = (task: thread.HashTask) => thread.hashOperations(unisolated(task));
export const runOperations = (task: thread.RunTask) => thread.runOperations(unisolated(task));
