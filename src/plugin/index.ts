/**
 * `sweeplab/plugin`: what a workspace's plugin files import (docs/plugins.md, "Writing a plugin").
 * A plugin declares the same things a built-in does: a name, a phase, its params as a zod schema
 * with defaults and bounds, a one-paragraph doc, its warm-up (`lookback`) and `create`, which
 * computes from the bars and params only and returns the phase's kind of worker. It may use the
 * indicators and the series cache the built-ins use.
 *
 * `z` is the zod sweeplab validates with: build params with it (not with a zod of your own), so
 * the loader can read the schema's defaults and bounds.
 *
 * At run time this module is not the host's: each plugin file gets its own copy, evaluated inside
 * the file's realm together with its code (src/user-plugins/realm.ts), so definePlugin's checks,
 * zod and the series cache a plugin uses are all its realm's (docs/plugins.md, "What a plugin can
 * and cannot do").
 */
import { z } from 'zod';
import { ConfigError } from '../core/errors.js';
import { fromZodError } from '../core/zod-errors.js';
import { PHASES, type Phase } from '../engine/phases.js';
import { definePlugin as defineBuiltinStyle, type PluginDeclaration, type PluginDefinition } from '../engine/plugins/types.js';

export { z };
export { cachedSeries } from './cache-scope.js';
export { ema, priorHighest, priorLowest, rollingStd, sma, wilderAtr as atr, wilderRsi as rsi } from '../engine/indicators.js';
export { DirectionSchema } from '../engine/plugins/types.js';
export type { BarSeries } from '../engine/bars.js';
export type { Phase, WorkerCategory } from '../engine/phases.js';
export type {
  Direction,
  EntryFilter,
  EntryWorker,
  ExitLevels,
  ExitWorker,
  PluginDeclaration,
  PluginDefinition,
  Side,
  SignalWorker,
  SizeWorker,
  Worker,
} from '../engine/plugins/types.js';

const ALL_PHASES = Object.values(PHASES).flat() as [Phase, ...Phase[]];
const isFunction = (value: unknown) => typeof value === 'function';

/** A declaration as it arrives from JavaScript: nothing about it is typed yet. */
const DeclarationSchema = z
  .object({
    name: z.string().regex(/^[a-z][a-z0-9_]*$/, 'must be snake_case (lowercase letters, digits and "_", starting with a letter)'),
    phase: z.enum(ALL_PHASES),
    params: z.custom<z.ZodObject>((v) => v instanceof z.ZodObject, 'must be z.object({...}) built with the z that sweeplab/plugin exports'),
    doc: z.string().trim().min(20, 'needs a paragraph for the user: what it does, when it fires, its edge cases'),
    setsStop: z.boolean().optional(),
    needsStop: z.boolean().optional(),
    lookback: z.custom<PluginDeclaration<z.ZodObject>['lookback']>(isFunction, 'must be a function (params) => bars of warm-up'),
    create: z.custom<PluginDeclaration<z.ZodObject>['create']>(isFunction, 'must be a function (bars, params) => worker'),
  })
  .strict();

/**
 * Declares a plugin. Export what it returns from a file in the workspace's `plugins/` folder; every
 * export made by definePlugin registers one plugin. A declaration that breaks the contract (a bad
 * name or phase, a param without a default) throws here, and the loader names the file and line.
 */
export function definePlugin<S extends z.ZodObject>(plugin: PluginDeclaration<S>): PluginDefinition {
  const parsed = DeclarationSchema.safeParse(plugin);
  if (!parsed.success) throw fromZodError('definePlugin', parsed.error);
  const defaults = plugin.params.safeParse({});
  if (!defaults.success) {
    const missing = fromZodError('definePlugin', defaults.error, 'params');
    throw new ConfigError('definePlugin', missing.field, `every parameter needs a default (params.parse({}) fails: ${missing.reason})`);
  }
  return defineBuiltinStyle(plugin);
}
