import { z } from 'zod';
import { ConfigError, fromZodError } from './errors.js';
import { PHASES, WORKER_CATEGORIES } from '../engine/phases.js';
import { ResolvedOperationSchema } from './resolved.js';
import { ParallelConfigSchema, WorkforceSchema } from './schemas.js';
import { MetricNameSchema } from '../engine/result.js';

/*
 * The schemas of a sweep's specification, one per kind, and how a spec read back from the store is
 * decoded (docs/store.md, "The stored spec"). The spec types (src/config/sweep.ts,
 * src/config/walk-forward-spec.ts) are inferred from these schemas; those modules import them as
 * types only, since workflow code imports them and must not load zod.
 *
 * A store outlives versions of the code, so a stored spec carries `spec_version`. Fields added to a
 * spec after version 1 was first written have defaults here, so that a sweep stored before them still
 * decodes to what the current code reads.
 */

export const AxisValueSchema = z.union([z.number(), z.string(), z.boolean()]);

export const GridAxisSchema = z.object({
  /** The name a `where` expression and the results table use for this axis. */
  label: z.string(),
  category: z.enum(WORKER_CATEGORIES),
  phase: z.enum(Object.values(PHASES).flat()),
  plugin: z.string(),
  param: z.string(),
  values: z.array(AxisValueSchema),
});

export const GridSchema = z.object({
  axes: z.array(GridAxisSchema),
  /** Number of combinations: the product of the axis lengths. */
  size: z.number().int().min(0),
});

const SweepSpecBase = {
  name: z.string(),
  /** The file the sweep came from (for messages and the store); "request body" over the API. */
  file: z.string(),
  base: ResolvedOperationSchema,
  primary_metric: MetricNameSchema,
  secondary_metrics: z.array(MetricNameSchema),
  /** Results with fewer closed trades are stored but not ranked. */
  min_trades: z.number(),
  parallel: ParallelConfigSchema,
  /**
   * sha256 of the workspace's plugin bundle when the sweep runs a user plugin, else null. The
   * bundle is in the results store under this hash; workers run the sweep with that code only.
   * Sweeps stored before plugins ran built-ins only.
   */
  plugin_bundle: z.string().nullable().default(null),
};

export const OptimizationSpecSchema = z.object({
  kind: z.literal('optimization'),
  ...SweepSpecBase,
  grid: GridSchema,
  where: z.string().nullable(),
  /** Combinations that satisfy `where`, counted when the file was loaded. */
  admissible: z.number().int().min(0),
  /**
   * Time blocks S of each operation's block returns, for PBO (optimization_config.robustness.blocks);
   * sweeps stored before the robustness settings had the default.
   */
  blocks: z.number().int().min(1).default(16),
});

export const VariantTestSpecSchema = z.object({
  kind: z.literal('variant_test'),
  ...SweepSpecBase,
  variants: z.array(z.object({ name: z.string(), workforce: WorkforceSchema })),
});

/** One window; times are ISO 8601 UTC bar times of the data, every range inclusive. */
export const WalkForwardWindowSchema = z.object({
  /** 1-based: window 1 is the first. */
  k: z.number().int().min(1),
  is_start: z.string(),
  is_end: z.string(),
  /** The out-of-sample run trades and is measured from oos_start to oos_end ... */
  oos_start: z.string(),
  oos_end: z.string(),
  /** ... on bars from warmup_start, `warmup_bars` bars before oos_start (no bar after oos_end). */
  warmup_start: z.string(),
  is_bars: z.number().int(),
  oos_bars: z.number().int(),
});

export const WalkForwardSpecSchema = z.object({
  kind: z.literal('walk_forward'),
  name: z.string(),
  /** The file the walk-forward came from; "request body" over the API. */
  file: z.string(),
  /** The base optimization over the base operation's whole range. */
  optimization: OptimizationSpecSchema,
  windows: z.array(WalkForwardWindowSchema),
  /** The longest warm-up of any admissible combination, in bars (its first bar with every plugin's output). */
  warmup_bars: z.number().int().min(0),
  /** The window settings as written, for display. */
  plan: z.object({ in_sample: z.string(), out_of_sample: z.string(), step: z.string(), mode: z.enum(['anchored', 'rolling']) }),
  /** Windows whose in-sample optimization or out-of-sample run may be in flight at once. */
  max_windows_in_flight: z.number().int().min(1),
});

/** Any sweep's specification, as the store keeps it: one schema per kind. */
export const StoredSpecSchema = z.discriminatedUnion('kind', [OptimizationSpecSchema, VariantTestSpecSchema, WalkForwardSpecSchema]);
export type StoredSpec = z.infer<typeof StoredSpecSchema>;

/**
 * The version of the stored spec this code writes. Raise it when a spec changes in a way a default
 * cannot bridge, and decode the older versions into the current shape in decodeStoredSpec.
 */
export const STORED_SPEC_VERSION = 1;

/** The JSON the store writes for a spec: its own fields and `spec_version`. */
export function encodeStoredSpec(spec: StoredSpec): string {
  return JSON.stringify({ ...spec, spec_version: STORED_SPEC_VERSION });
}

/**
 * The spec of sweep `sweepId` (a row of kind `kind`) from its stored JSON. A spec without
 * `spec_version` was written before the field existed and is version 1. A later version than this
 * code knows, a spec of another kind than its row, or one that fails its kind's schema is refused
 * naming the sweep and what is wrong: the store holds a sweep this code cannot read.
 */
export function decodeStoredSpec(sweepId: string, kind: StoredSpec['kind'], json: string): StoredSpec {
  const where = `stored sweep "${sweepId}"`;
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (error) {
    throw new ConfigError(where, 'spec', `is not valid JSON (${(error as Error).message})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ConfigError(where, 'spec', 'is not a JSON object');
  const { spec_version: version = 1, ...spec } = value as Record<string, unknown>;
  if (version !== STORED_SPEC_VERSION) {
    const newer = typeof version === 'number' && Number.isInteger(version) && version > STORED_SPEC_VERSION;
    throw new ConfigError(
      where,
      'spec.spec_version',
      newer
        ? `is ${version}, written by a newer sweeplab than this one (which reads up to version ${STORED_SPEC_VERSION}); upgrade sweeplab to read this sweep`
        : `is ${JSON.stringify(version)}, not a spec version sweeplab knows (1 to ${STORED_SPEC_VERSION})`,
    );
  }
  if (spec.kind !== kind) throw new ConfigError(where, 'spec.kind', `is ${JSON.stringify(spec.kind)}, but the sweep is of kind "${kind}"`);
  const parsed = StoredSpecSchema.safeParse(spec);
  if (!parsed.success) throw fromZodError(where, parsed.error, 'spec');
  return parsed.data;
}
