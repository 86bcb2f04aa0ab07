import { ConfigError } from '../config/errors.js';
import type { Workforce } from '../engine/schemas.js';
import { isoTime } from '../engine/bar-times.js';
import type { BarSeries } from '../engine/bars.js';
import { runBacktest, type BacktestResult, type BacktestSettings } from '../engine/index.js';
import type { PluginSet } from '../engine/plugins/registry.js';
import { parsePlugins, type ParsedPlugin } from '../engine/plugins/resolve.js';
import type { Worker } from '../engine/plugins/types.js';
import { contractBreach, copyBars } from './contract.js';

/*
 * At submission, every user plugin a workforce names is held to the contract the built-ins pass
 * (src/user-plugins/contract.ts), on the user's own bars, the whole series: it returns its phase's
 * kind of worker, runs on equal bars agree (no Math.random, clock or state kept between runs), and
 * its output at bar t does not move when only later bars change. So nothing is stored from a plugin
 * that breaks it. The cost is a fixed number of runs on the series whatever its length: about
 * 2 × LOOK_AHEAD_CUTS + 4 of each plugin (contractBreach counts them) and two of the operation;
 * docs/plugins.md gives the measured times. Errors are ConfigError(null,
 * "workforce.<category>.<phase>[i]", reason), like the engine's, which name no file: the loader
 * places them in the blueprint's file and field.
 */

export function checkUserPlugins(bars: BarSeries, workforce: Workforce, settings: BacktestSettings, plugins: PluginSet): void {
  const user = parsePlugins(workforce, plugins).filter((p) => p.definition.source !== null);
  if (user.length === 0) return;
  const seen = new Set<string>();
  for (const plugin of user) {
    const key = JSON.stringify([plugin.definition.name, plugin.params]);
    if (seen.has(key)) continue;
    seen.add(key);
    checkOne(plugin, bars);
  }
  const first = runBacktest(copyBars(bars), workforce, settings, plugins);
  const second = runBacktest(copyBars(bars), workforce, settings, plugins);
  if (!sameResult(first, second)) {
    throw new ConfigError(null, user[0].field, `${names(user)} ${user.length > 1 ? 'give' : 'gives'} a different result when the operation runs twice on the same bars; ${DETERMINISM}`);
  }
}

const DETERMINISM = 'a plugin must compute from its bars and params only (no Math.random, no clock, no state kept between runs)';
/** What ran between the two runs that differ, when the second did not follow the first directly. */
const BETWEEN = { next: '', 'after other params': ', the second after a run with other params', 'after other bars': ', the second after runs on other bars' } as const;

function checkOne(plugin: ParsedPlugin, bars: BarSeries): void {
  const { definition, params, field } = plugin;
  const accept = (worker: Worker, input: BarSeries) => {
    if (worker.kind === 'signal' && !(worker.events instanceof Int8Array && worker.events.length === input.length)) {
      throw new ConfigError(null, field, `plugin "${definition.name}" must return its events as an Int8Array with one entry per bar (+1, −1 or 0), got ${describeEvents(worker.events)}`);
    }
  };
  const breach = contractBreach(definition, params, bars, { accept });
  if (breach?.kind === 'nondeterministic') {
    throw new ConfigError(
      null,
      field,
      `plugin "${definition.name}" is not deterministic: two runs on the same bars differ at bar ${breach.bar} (${isoTime(bars, breach.bar)})${BETWEEN[breach.second]}; ${DETERMINISM}`,
    );
  }
  if (breach?.kind === 'looks_ahead') {
    throw new ConfigError(
      null,
      field,
      `plugin "${definition.name}" looks ahead: its output at bar ${breach.bar} (${isoTime(bars, breach.bar)}) changes when only bars from ${breach.cut} (${isoTime(bars, breach.cut)}) on change; its output at bar t may use bars up to t only`,
    );
  }
}

/**
 * Two results agree: the same metrics, trades and open trade, and the same equity at every bar
 * (the drawdown curve follows from it). Cheaper than comparing whole JSON texts of long curves.
 */
function sameResult(a: BacktestResult, b: BacktestResult): boolean {
  if (JSON.stringify([a.metrics, a.trades, a.open_trade]) !== JSON.stringify([b.metrics, b.trades, b.open_trade])) return false;
  const [x, y] = [a.equity.v, b.equity.v];
  return x.length === y.length && x.every((v, i) => v === y[i] || (v !== v && y[i] !== y[i]));
}

function names(plugins: ParsedPlugin[]): string {
  return [...new Set(plugins.map((p) => `"${p.definition.name}"`))].join(', ');
}

function describeEvents(events: unknown): string {
  if (events === null || typeof events !== 'object') return String(events);
  const length = (events as { length?: unknown }).length;
  return `${(events as object).constructor?.name ?? 'an object'}${typeof length === 'number' ? ` of length ${length}` : ''}`;
}
