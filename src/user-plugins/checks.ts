import { ConfigError } from '../config/errors.js';
import type { Workforce } from '../config/schemas.js';
import { isoTime } from '../engine/bar-times.js';
import { sliceBars, type BarSeries } from '../engine/bars.js';
import { runBacktest, type BacktestSettings } from '../engine/index.js';
import type { PluginSet } from '../engine/plugins/registry.js';
import { parsePlugins, type ParsedPlugin } from '../engine/plugins/resolve.js';
import { copyBars, firstLookAhead, firstNondeterministicBar, lookAheadCuts } from './contract.js';

/*
 * At submission, every user plugin a workforce names is held to the contract the built-ins pass
 * (src/user-plugins/contract.ts), on the user's own bars: it returns its phase's kind of worker,
 * two runs on equal bars agree (no Math.random, clock or state kept between runs), and its output
 * at bar t does not move when only later bars change. So nothing is stored from a plugin that
 * breaks it. Errors are ConfigError("blueprint", "workforce.<category>.<phase>[i]", reason), the
 * engine's own labels, which the loader turns into the blueprint's file and field.
 */

/** Bars the checks look at: enough to show a peek ahead, bounded so a submission stays quick. */
export const CHECK_BARS = 5_000;
/** How many places the future is changed at (docs/plugins.md, "The contract"). */
const CUTS = 24;

export function checkUserPlugins(bars: BarSeries, workforce: Workforce, settings: BacktestSettings, plugins: PluginSet): void {
  const user = parsePlugins(workforce, plugins).filter((p) => p.definition.source !== null);
  if (user.length === 0) return;
  const sample = sliceBars(bars, 0, Math.min(bars.length, CHECK_BARS));
  const seen = new Set<string>();
  for (const plugin of user) {
    const key = JSON.stringify([plugin.definition.name, plugin.params]);
    if (seen.has(key)) continue;
    seen.add(key);
    checkOne(plugin, sample);
  }
  const first = JSON.stringify(runBacktest(copyBars(sample), workforce, settings, plugins));
  const second = JSON.stringify(runBacktest(copyBars(sample), workforce, settings, plugins));
  if (first !== second) {
    throw new ConfigError('blueprint', user[0].field, `${names(user)} ${user.length > 1 ? 'give' : 'gives'} a different result when the operation runs twice on the same bars; ${DETERMINISM}`);
  }
}

const DETERMINISM = 'a plugin must compute from its bars and params only (no Math.random, no clock, no state kept between runs)';

function checkOne(plugin: ParsedPlugin, bars: BarSeries): void {
  const { definition, params, field } = plugin;
  const worker = definition.create(copyBars(bars), params);
  if (worker.kind === 'signal' && !(worker.events instanceof Int8Array && worker.events.length === bars.length)) {
    throw new ConfigError('blueprint', field, `plugin "${definition.name}" must return its events as an Int8Array with one entry per bar (+1, −1 or 0), got ${describeEvents(worker.events)}`);
  }
  const random = firstNondeterministicBar(definition, params, bars);
  if (random !== null) {
    throw new ConfigError('blueprint', field, `plugin "${definition.name}" is not deterministic: two runs on the same bars differ at bar ${random} (${isoTime(bars, random)}); ${DETERMINISM}`);
  }
  const ahead = firstLookAhead(definition, params, bars, lookAheadCuts(bars.length, CUTS));
  if (ahead !== null) {
    throw new ConfigError(
      'blueprint',
      field,
      `plugin "${definition.name}" looks ahead: its output at bar ${ahead.bar} (${isoTime(bars, ahead.bar)}) changes when only bars from ${ahead.cut} (${isoTime(bars, ahead.cut)}) on change; its output at bar t may use bars up to t only`,
    );
  }
}

function names(plugins: ParsedPlugin[]): string {
  return [...new Set(plugins.map((p) => `"${p.definition.name}"`))].join(', ');
}

function describeEvents(events: unknown): string {
  if (events === null || typeof events !== 'object') return String(events);
  const length = (events as { length?: unknown }).length;
  return `${(events as object).constructor?.name ?? 'an object'}${typeof length === 'number' ? ` of length ${length}` : ''}`;
}
