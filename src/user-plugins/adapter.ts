import { types } from 'node:util';
import { z } from 'zod';
import { ConfigError } from '../config/errors.js';
import { PHASES, type Phase } from '../engine/phases.js';
import type { BarSeries } from '../engine/bars.js';
import type { Direction, ExitLevels, PluginDefinition, PluginSource, Side, Worker } from '../engine/plugins/types.js';
import { typedLength, type Realm } from './realm.js';

/*
 * The host's side of a user plugin: a PluginDefinition like a built-in's, whose every method calls
 * into the plugin's realm (src/user-plugins/realm.ts) and holds what comes back to the contract
 * (docs/plugins.md, "The contract") on every run, not only at submission. Nothing a plugin returns
 * is trusted: each value is checked, then copied into a value of the host (events into a host
 * Int8Array, levels into the simulator's own object), and a breach fails that operation with a
 * ConfigError naming the plugin and what it returned. Built-ins never pass through here.
 */

const ALL_PHASES = Object.values(PHASES).flat() as [Phase, ...Phase[]];

/** What the realm says a definition is; checked again, as plugin code may have changed it after definePlugin. */
const DescriptionSchema = z.object({
  name: z.string().regex(/^[a-z][a-z0-9_]*$/),
  phase: z.enum(ALL_PHASES),
  doc: z.string(),
  setsStop: z.boolean(),
  needsStop: z.boolean(),
  params: z.array(z.string()),
});

/** A params parse as the realm reports it (issues are read by fromZodError, src/config/errors.ts). */
type ParseResult = { success: true; data: Record<string, unknown> } | { success: false; issues: z.core.$ZodIssue[] };

function isParseResult(value: unknown): value is ParseResult {
  if (typeof value !== 'object' || value === null) return false;
  const result = value as Record<string, unknown>;
  if (result.success === true) return 'data' in result;
  const issues = result.issues;
  return result.success === false && Array.isArray(issues) && issues.length > 0 && issues.every((i) => typeof i === 'object' && i !== null && typeof i.code === 'string' && Array.isArray(i.path) && typeof i.message === 'string');
}

/** The kind of worker each phase's plugins return. */
const KIND_OF: Record<Phase, Worker['kind']> = {
  regime_context: 'filter',
  structural_context: 'filter',
  signal_generation: 'signal',
  signal_refinement: 'filter',
  entry_planning: 'entry',
  exit_planning: 'exit',
  size_planning: 'size',
};

/** Sizes may exceed cash / (price × (1 + fee)) by this relative margin: the floating-point rounding of that quotient. */
const SIZE_ROUNDING = 1e-9;

/** A worker as the guest runtime reads it out of what create() returned. */
interface GuestWorker {
  kind: unknown;
  shown?: unknown;
  events?: unknown;
  direction?: unknown;
  validBars?: unknown;
  method?: unknown;
  self?: unknown;
}

/**
 * The host definition of the realm definition `handle`. `fault` turns whatever plugin code threw into
 * a ConfigError naming the plugin (src/user-plugins/evaluate.ts); a value that breaks the contract
 * is a ConfigError naming the plugin's file.
 */
export function guestDefinition(realm: Realm, handle: unknown, source: PluginSource, fault: (thrown: unknown, plugin: string | null) => ConfigError): PluginDefinition {
  const { runtime } = realm;
  const described = DescriptionSchema.safeParse(guarded(() => JSON.parse(runtime.describe(handle as never)) as unknown, null));
  if (!described.success) throw new ConfigError(source.file, '', `a plugin definition changed after definePlugin returned it (${described.error.issues[0]!.message})`);
  const { name, phase, doc, setsStop, needsStop } = described.data;

  function guarded<T>(fn: () => T, plugin: string | null = name): T {
    try {
      return fn();
    } catch (error) {
      // The host's own contract errors pass; anything else was thrown by plugin code (or made it throw).
      throw error instanceof ConfigError ? error : fault(error, plugin);
    }
  }
  const breach = (reason: string) => new ConfigError(source.file, '', `plugin "${name}" ${reason}`);

  const parse = (value: unknown, key?: string): z.ZodSafeParseResult<Record<string, unknown>> => {
    const text = guarded(() => runtime.parseParams(handle as never, JSON.stringify({ value }), key));
    const result: unknown = typeof text === 'string' ? JSON.parse(text) : null;
    if (!isParseResult(result)) throw breach('returned a malformed result from its params schema');
    return result.success ? { success: true, data: result.data } : { success: false, error: new z.ZodError(result.issues) as z.ZodError<Record<string, unknown>> };
  };

  const lookback = (params: Record<string, unknown>): number => {
    const bars = guarded(() => runtime.lookback(handle as never, JSON.stringify(params)));
    if (typeof bars !== 'number' || !Number.isInteger(bars) || bars < 0) {
      throw breach(`returned a lookback of ${shown(bars)} for params ${JSON.stringify(params)}; a lookback is a whole number of bars ≥ 0`);
    }
    return bars;
  };

  const create = (bars: BarSeries, params: Record<string, unknown>): Worker =>
    guarded(() => {
      const got = runtime.create(handle as never, realm.barsFor(bars), JSON.stringify(params)) as GuestWorker;
      const expected = KIND_OF[phase];
      if (got.kind !== expected) {
        throw breach(`in ${phase} must return a worker of kind "${expected}" from create(), got ${typeof got.kind === 'string' ? `"${got.kind}"` : String(got.shown)}`);
      }
      if (got.kind === 'signal') return { kind: 'signal', events: eventsOf(got.events, bars.length), direction: directionOf(got.direction) };
      const { method, self } = got;
      if (typeof method !== 'function') throw breach(`returned a worker of kind "${got.kind}" without its method (docs/plugins.md, "The contract")`);
      const call = (a: number, b: number, c: number, d: number) => guarded(() => runtime.call(name, method, self, a, b, c, d));
      switch (got.kind as Exclude<Worker['kind'], 'signal'>) {
        case 'filter':
          return {
            kind: 'filter',
            allowsEntry(bar: number, side: Side, lastExitBar: number) {
              const allowed = call(bar, side, lastExitBar, 0);
              if (typeof allowed !== 'boolean') throw breach(`returned ${shown(allowed)} from allowsEntry at bar ${bar}; a filter returns true or false`);
              return allowed;
            },
          };
        case 'entry': {
          const validBars = got.validBars;
          if (typeof validBars !== 'number' || !Number.isInteger(validBars) || validBars < 0) {
            throw breach(`returned validBars ${shown(validBars)}; it is a whole number of bars ≥ 0`);
          }
          return {
            kind: 'entry',
            validBars,
            limitPrice(side: Side, signalBar: number) {
              const price = call(side, signalBar, 0, 0);
              if (price === null || Number.isNaN(price)) return NaN;
              if (typeof price !== 'number' || !(price > 0) || price === Infinity) {
                throw breach(`returned a limit price of ${shown(price)} at bar ${signalBar}; a limit price is a finite price > 0, or NaN (or null) for a market order`);
              }
              return price;
            },
          };
        }
        case 'exit':
          return {
            kind: 'exit',
            plan(side: Side, entryPrice: number, signalBar: number, levels: ExitLevels) {
              const after = guarded(() => {
                const out = runtime.plan(name, method, self, side, entryPrice, signalBar, levels.stop, levels.target, levels.trailPct, levels.maxBars);
                return { stop: out[0], target: out[1], trailPct: out[2], maxBars: out[3] };
              });
              const problem = levelProblem(side, entryPrice, after);
              if (problem) throw breach(`${problem} for a ${side === 1 ? 'long' : 'short'} entered at ${entryPrice} (signal bar ${signalBar})`);
              Object.assign(levels, after);
            },
          };
        case 'size':
          return {
            kind: 'size',
            size(equity: number, price: number, stop: number, feeRate: number) {
              const units = call(equity, price, stop, feeRate);
              if (typeof units !== 'number' || !Number.isFinite(units) || units < 0) {
                throw breach(`returned a size of ${shown(units)} units at price ${price}; a size is a finite number of units ≥ 0 (0 skips the entry)`);
              }
              const most = equity / (price * (1 + feeRate));
              if (units > 0 && !(units <= most * (1 + SIZE_ROUNDING))) {
                throw breach(`returned a size of ${units} units at price ${price} with ${equity} of cash; the account can pay for at most ${most} units (cash / (price × (1 + fee rate)))`);
              }
              return units;
            },
          };
      }
    });

  /** The events as a host Int8Array, each −1, 0 or +1. */
  function eventsOf(value: unknown, length: number): Int8Array {
    if (!types.isTypedArray(value) || types.isBigInt64Array(value) || types.isBigUint64Array(value)) {
      throw breach(`must return its events as an Int8Array with one entry per bar (+1, −1 or 0), got ${Array.isArray(value) ? 'an Array' : shown(value)}`);
    }
    const got = typedLength(value);
    if (got !== length) throw breach(`returned events of length ${got} for ${length} bars; events have one entry per bar`);
    const events = new Int8Array(length);
    if (types.isInt8Array(value)) events.set(value);
    else {
      const source = value as unknown as ArrayLike<number>;
      for (let i = 0; i < length; i++) {
        const event = source[i];
        if (event !== 0 && event !== 1 && event !== -1) throw breach(`returned events of value ${event} at bar ${i}; events must be −1, 0 or +1`);
        events[i] = event;
      }
    }
    const i = firstOutOfRange(events);
    if (i >= 0) throw breach(`returned events of value ${events[i]} at bar ${i}; events must be −1, 0 or +1`);
    return events;
  }

  function directionOf(value: unknown): Direction {
    if (value === 'long' || value === 'short' || value === 'both') return value;
    throw breach(`returned direction ${shown(value)}; direction must be "long", "short" or "both"`);
  }

  return {
    name,
    phases: [phase],
    params: paramsSchema(described.data.params, parse),
    doc,
    setsStop,
    needsStop,
    lookback,
    create,
    source,
  };
}

/**
 * A host zod object standing for the realm's schema: its keys are the params, and parsing (the whole
 * object or one param) is done by the realm's own schema on a realm copy of the value, the result
 * coming back as JSON. So the host checks params exactly as the plugin declared them, with zod's
 * issues and so the messages of a built-in's params, without holding a realm object.
 */
function paramsSchema(keys: string[], parse: (value: unknown, key?: string) => z.ZodSafeParseResult<Record<string, unknown>>): z.ZodObject {
  const schemaOf = <S extends z.ZodType>(schema: S, key?: string) => {
    const safeParse = (value: unknown) => parse(value, key);
    return Object.assign(schema, {
      safeParse,
      parse(value: unknown) {
        const result = safeParse(value);
        if (!result.success) throw result.error;
        return result.data;
      },
    });
  };
  return schemaOf(z.object(Object.fromEntries(keys.map((key) => [key, schemaOf(z.unknown(), key)]))));
}

/**
 * The first index of `events` (a host array at offset 0) holding anything but −1, 0 or +1, or −1.
 * Read four entries at a time, as it runs once per bar for every signal a plugin returns: a byte is
 * 0x00, 0x01 or 0xFF exactly when it is not 0x02 and adding 1 to it (within the byte) leaves
 * nothing above 3.
 */
export function firstOutOfRange(events: Int8Array): number {
  const words = new Int32Array(events.buffer, 0, events.length >> 2);
  for (let k = 0; k < words.length; k++) {
    const w = words[k]!;
    const plusOne = ((w & 0x7f7f7f7f) + 0x01010101) ^ (w & 0x80808080);
    const two = w ^ 0x02020202;
    // The second test is the classic "has a zero byte" of w with each byte xor 0x02.
    if ((plusOne & 0xfcfcfcfc) !== 0 || ((two - 0x01010101) & ~two & 0x80808080) !== 0) {
      const i = firstOutOfRangeIn(events, k << 2, (k << 2) + 4);
      if (i >= 0) return i;
    }
  }
  return firstOutOfRangeIn(events, words.length << 2, events.length);
}

function firstOutOfRangeIn(events: Int8Array, from: number, to: number): number {
  for (let i = from; i < to; i++) if (events[i]! > 1 || events[i]! < -1) return i;
  return -1;
}

/** What went wrong with a level, or null when it lies on its side of the entry (or is "none"). */
function levelProblem(side: Side, entry: number, levels: Record<keyof ExitLevels, unknown>): string | null {
  const { stop, target, trailPct, maxBars } = levels;
  // A level is a price > 0 on its side of the entry, or the value no price reaches (∓Infinity).
  const isPrice = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v > 0;
  if (!(stop === -side * Infinity || (isPrice(stop) && side * stop < side * entry))) {
    return `set the stop to ${shown(stop)}; a long's stop is a price below its entry, a short's above (or none: ∓Infinity)`;
  }
  if (!(target === side * Infinity || (isPrice(target) && side * target > side * entry))) {
    return `set the target to ${shown(target)}; a long's target is a price above its entry, a short's below (or none: ±Infinity)`;
  }
  if (!(trailPct === Infinity || (typeof trailPct === 'number' && Number.isFinite(trailPct) && trailPct >= 0))) {
    return `set trailPct to ${shown(trailPct)}; a trail is a finite percentage ≥ 0 (or none: Infinity)`;
  }
  if (!(maxBars === Infinity || (typeof maxBars === 'number' && Number.isInteger(maxBars) && maxBars >= 1))) {
    return `set maxBars to ${shown(maxBars)}; it is a whole number of bars ≥ 1 (or none: Infinity)`;
  }
  return null;
}

/** A value from the realm as the user would write it, without running any of its code. */
export function shown(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
    case 'boolean':
    case 'undefined':
    case 'bigint':
      return String(value);
    case 'symbol':
      return 'a symbol';
    case 'function':
      return 'a function';
    default:
      return value === null ? 'null' : 'an object';
  }
}
