import { z } from 'zod';
import { DataSourceSchema } from '../data/schemas.js';
import { PHASES, WORKER_CATEGORIES, type WorkerCategory } from '../engine/phases.js';
import { EnvironmentSchema, WorkforceSchema } from '../engine/schemas.js';
import { MetricNameSchema } from '../engine/result.js';

/*
 * One zod schema per file format (docs/formats.md). Keys keep the spelling of the user's files.
 * Plugin params are validated against each plugin's own schema later (src/config/blueprint.ts),
 * because only the plugin registry knows them.
 */

export { PHASES, WORKER_CATEGORIES, type Phase, type WorkerCategory } from '../engine/phases.js';
export { DateSchema, parseUtc } from '../core/dates.js';
export { PluginEntrySchema, WorkforceSchema, EnvironmentSchema, type PluginEntry, type Workforce, type Environment } from '../engine/schemas.js';
export { TimeframeSchema, CsvDataSourceSchema, SyntheticDataSourceSchema, DataSourceSchema, type DataSource } from '../data/schemas.js';

/**
 * A name a person reads in tables, terminals and the Temporal UI: one line of printable text, so a
 * newline, NUL or escape sequence cannot garble a table or forge a line of output.
 */
export const NameSchema = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(200, 'is longer than 200 characters')
  .refine((s) => !/\p{Cc}/u.test(s), { message: 'must be one line of printable text (no newline, tab, NUL or other control character)' });

export const BlueprintSchema = z
  .object({
    name: NameSchema,
    description: z.string().optional(),
    workforce: WorkforceSchema,
  })
  .strict();
export type Blueprint = z.infer<typeof BlueprintSchema>;

export const StrategyLinkSchema = z
  .object({
    /** A path (relative to the operation file) or, in a materialized operation, the blueprint itself. */
    strategy_blueprint: z.union([z.string().min(1), BlueprintSchema]),
    execution_environment: z.string().min(1),
    is_active: z.boolean().default(true),
  })
  .strict();

/**
 * The user plugin code an operation ran with: plugin file (relative to the workspace) → sha256 of
 * the file bundled with its local imports. Written into materialized operations that use user
 * plugins; loading one refuses a workspace whose code differs (docs/plugins.md).
 */
export const PluginCodeSchema = z.record(z.string().regex(/^plugins\/[^/]+\.(ts|js)$/, 'must be a file of the plugins folder, e.g. "plugins/zscore.ts"'), z.string().regex(/^[0-9a-f]{64}$/, 'must be a sha256 (64 hex digits)'));

export const OperationSchema = z
  .object({
    display_name: NameSchema,
    strategy_links: z.array(StrategyLinkSchema).min(1, 'needs at least one strategy link'),
    environments: z.record(z.string(), EnvironmentSchema),
    data_sources: z.record(z.string(), DataSourceSchema),
    plugin_code: PluginCodeSchema.optional(),
  })
  .strict()
  .superRefine((op, ctx) => {
    op.strategy_links.forEach((link, i) => {
      if (!(link.execution_environment in op.environments)) {
        ctx.addIssue({
          code: 'custom',
          path: ['strategy_links', i, 'execution_environment'],
          message: `"${link.execution_environment}" is not one of environments: ${quoteList(Object.keys(op.environments))}`,
        });
      }
    });
    for (const [id, env] of Object.entries(op.environments)) {
      if (!(env.data_source in op.data_sources)) {
        ctx.addIssue({
          code: 'custom',
          path: ['environments', id, 'data_source'],
          message: `"${env.data_source}" is not one of data_sources: ${quoteList(Object.keys(op.data_sources))}`,
        });
      }
    }
    if (!op.strategy_links.some((l) => l.is_active)) {
      ctx.addIssue({ code: 'custom', path: ['strategy_links'], message: 'has no link with is_active: true' });
    }
  });
export type Operation = z.infer<typeof OperationSchema>;

export function quoteList(items: readonly string[]): string {
  return items.length ? items.map((s) => `"${s}"`).join(', ') : '(none)';
}

/** `start..end` by `step`, end inclusive, or an explicit list of values. */
export const RangeSchema = z.union([
  z
    .object({ start: z.number(), end: z.number(), step: z.number() })
    .strict()
    .superRefine((r, ctx) => {
      if (!(r.step > 0)) ctx.addIssue({ code: 'custom', path: ['step'], message: `must be greater than 0, got ${r.step}` });
      else if (r.start > r.end) ctx.addIssue({ code: 'custom', path: ['start'], message: `${r.start} is greater than end ${r.end}` });
    }),
  z
    .object({ values: z.array(z.union([z.number(), z.string(), z.boolean()])).min(1, 'must list at least one value') })
    .strict(),
]);
export type Range = z.infer<typeof RangeSchema>;

export const ParameterAxisGroupSchema = z
  .object({
    worker_category: z.enum(WORKER_CATEGORIES as [WorkerCategory, ...WorkerCategory[]]),
    worker_phase: z.string().min(1),
    worker_plugin: z.string().min(1),
    parameters: z.record(z.string(), RangeSchema).refine((p) => Object.keys(p).length > 0, 'must name at least one parameter'),
  })
  .strict()
  .superRefine((g, ctx) => {
    const phases: readonly string[] = PHASES[g.worker_category];
    if (!phases.includes(g.worker_phase)) {
      ctx.addIssue({ code: 'custom', path: ['worker_phase'], message: `"${g.worker_phase}" is not a phase of ${g.worker_category}: ${quoteList(phases)}` });
    }
  });
export type ParameterAxisGroup = z.infer<typeof ParameterAxisGroupSchema>;

/** parallel_config.max_operation_seconds when not set (docs/plugins.md, "What is checked, and when"). */
export const DEFAULT_OPERATION_SECONDS = 60;
/** parallel_config.max_operation_memory_mb when not set (docs/plugins.md, "How plugin code is contained"). */
export const DEFAULT_OPERATION_MEMORY_MB = 512;

/** How a sweep is spread over activities; every field has an automatic default. */
export const ParallelConfigSchema = z
  .object({
    /** Operations packed into one activity; `auto` measures and packs cheap operations. */
    operations_per_activity: z.union([z.literal('auto'), z.number().int().min(1).max(10_000)]).default('auto'),
    /** Activities in flight at once (far below Temporal's 2,000 pending-activity limit). */
    max_in_flight: z.number().int().min(1).max(1_000).default(64),
    /**
     * Refuse grids larger than this unless raised here. Loading checks every admissible combination,
     * so the ceiling keeps a submission to seconds (10 M: about 4 s).
     */
    max_combinations: z.number().int().min(1).max(10_000_000).default(1_000_000),
    /**
     * In a sweep that runs workspace plugin code: wall time one operation may take in a backtest
     * slot before it is stopped (its thread replaced) and marked failed, a guard against a plugin
     * that never returns. Operations take milliseconds; 60 s leaves room for 50 M-bar series.
     */
    max_operation_seconds: z.number().gt(0).max(86_400).default(DEFAULT_OPERATION_SECONDS),
    /**
     * In a sweep that runs workspace plugin code: the JavaScript heap one backtest slot may use
     * before its operation is stopped and marked failed (the slot restarted); also the bound on
     * loading and checking the plugins at submission. A built-in operation's bars are typed arrays
     * outside this heap, so 512 MB is far more than a plugin needs on any series.
     */
    max_operation_memory_mb: z.number().int().min(16).max(65_536).default(DEFAULT_OPERATION_MEMORY_MB),
  })
  .strict();
export type ParallelConfig = z.infer<typeof ParallelConfigSchema>;

export const OptimizationTargetsSchema = z
  .object({
    primary_metric: MetricNameSchema.default('sharpe_ratio'),
    secondary_metrics: z.array(MetricNameSchema).default([]),
  })
  .strict();

/** Settings of the overfitting statistics computed when an optimization completes (docs/metrics.md, "Robustness statistics"). */
export const RobustnessConfigSchema = z
  .object({
    /**
     * Equal time blocks S the curves are cut into for PBO (CSCV): even, 4–24. Each operation keeps
     * 3·S numbers; C(S, S/2) splits are compared (12,870 at the default 16, 2.7 M at 24).
     */
    blocks: z
      .number()
      .int()
      .min(4)
      .max(24)
      .refine((s) => s % 2 === 0, 'must be even (half the blocks are in-sample, half out-of-sample)')
      .default(16),
  })
  .strict();

export const OptimizationConfigSchema = z
  .object({
    name: NameSchema,
    description: z.string().optional(),
    /** Path to operation.yaml, relative to this file (or the document itself, over the API). */
    base_operation: z.union([z.string().min(1), OperationSchema]),
    parameter_space: z.array(ParameterAxisGroupSchema).min(1, 'needs at least one parameter group'),
    constraints: z
      .object({
        /** A boolean expression over parameter names, e.g. `fast < slow`; false combinations are not run. */
        where: z.string().min(1).optional(),
        /** Results with fewer closed trades are stored but left out of the ranking. */
        min_trades: z.number().int().min(0).default(0),
      })
      .strict()
      .default({ min_trades: 0 }),
    optimization_targets: OptimizationTargetsSchema.default({ primary_metric: 'sharpe_ratio', secondary_metrics: [] }),
    parallel_config: ParallelConfigSchema.default({ operations_per_activity: 'auto', max_in_flight: 64, max_combinations: 1_000_000, max_operation_seconds: DEFAULT_OPERATION_SECONDS, max_operation_memory_mb: DEFAULT_OPERATION_MEMORY_MB }),
    robustness: RobustnessConfigSchema.default({ blocks: 16 }),
  })
  .strict();
export const OptimizationFileSchema = z.object({ optimization_config: OptimizationConfigSchema }).strict();
export type OptimizationConfig = z.infer<typeof OptimizationConfigSchema>;

export const VariantSchema = z
  .object({
    name: NameSchema,
    /** A partial blueprint workforce; see src/config/overrides.ts for the merge rules. */
    overrides: z.record(z.string(), z.unknown()).default({}),
  })
  .strict();

export const VariantConfigSchema = z
  .object({
    name: NameSchema,
    description: z.string().optional(),
    base_operation: z.union([z.string().min(1), OperationSchema]),
    variants: z
      .array(VariantSchema)
      .min(1, 'needs at least one variant')
      .max(1_000, 'takes at most 1,000 variants (use an optimization for grids)')
      .superRefine((variants, ctx) => {
        const seen = new Set<string>();
        variants.forEach((v, i) => {
          if (seen.has(v.name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `"${v.name}" is used by an earlier variant` });
          seen.add(v.name);
        });
      }),
    optimization_targets: OptimizationTargetsSchema.default({ primary_metric: 'sharpe_ratio', secondary_metrics: [] }),
    parallel_config: ParallelConfigSchema.default({ operations_per_activity: 'auto', max_in_flight: 64, max_combinations: 1_000_000, max_operation_seconds: DEFAULT_OPERATION_SECONDS, max_operation_memory_mb: DEFAULT_OPERATION_MEMORY_MB }),
  })
  .strict();
export const VariantFileSchema = z.object({ variant_config: VariantConfigSchema }).strict();
export type VariantConfig = z.infer<typeof VariantConfigSchema>;
