import type { z } from 'zod';
import { ConfigError } from './errors.js';
import type { Grid } from './grid.js';
import type { ResolvedOperation } from './resolved.js';
import type { OptimizationConfig, VariantConfig, Workforce } from './schemas.js';
import type { OptimizationSpecSchema, VariantTestSpecSchema } from './stored-spec.js';

/*
 * A sweep's specification: everything a sweep needs, validated and resolved, as plain JSON. It is the
 * workflow's input (and so part of its continue-as-new cursor) and what every activity receives, so it
 * holds no file paths to re-read and no large arrays: the grid is expanded by index, lazily.
 */

/** The spec of a grid optimization; its schema, and the other kinds', are in src/config/stored-spec.ts. */
export type OptimizationSpec = z.infer<typeof OptimizationSpecSchema>;
export type VariantTestSpec = z.infer<typeof VariantTestSpecSchema>;
export type SweepSpec = OptimizationSpec | VariantTestSpec;

/**
 * The largest specification a sweep may have, as JSON. Temporal carries the spec in the workflow's
 * input (again at each continue-as-new) and in every activity's input, refuses a message over a few
 * MB, and a workflow history grows by the spec with each activity; a real sweep's is a few KB, a
 * grid axis of 30,000 values about 256 KiB (docs/formats.md).
 */
export const MAX_SPEC_BYTES = 256 * 1024;

/** Refuses a spec too large to travel through Temporal, naming what makes it large. */
function checkSpecSize<S extends SweepSpec>(spec: S, field: string, what: string): S {
  const bytes = new TextEncoder().encode(JSON.stringify(spec)).length;
  if (bytes > MAX_SPEC_BYTES) {
    const size = (n: number) => (n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1)} MiB` : `${Math.ceil(n / 1024)} KiB`);
    throw new ConfigError(
      spec.file,
      field,
      `makes a sweep specification of ${size(bytes)} (${what}), more than the ${size(MAX_SPEC_BYTES)} a sweep may carry: Temporal passes it in the workflow's and every activity's input; use fewer values`,
    );
  }
  return spec;
}

export function optimizationSpec(loaded: {
  file: string;
  config: OptimizationConfig;
  base: ResolvedOperation;
  grid: Grid;
  admissible: number;
  plugin_bundle: string | null;
}): OptimizationSpec {
  const { config } = loaded;
  const values = loaded.grid.axes.reduce((n, axis) => n + axis.values.length, 0);
  return checkSpecSize({
    kind: 'optimization',
    name: config.name,
    file: loaded.file,
    base: loaded.base,
    grid: loaded.grid,
    where: config.constraints.where ?? null,
    admissible: loaded.admissible,
    blocks: config.robustness.blocks,
    min_trades: config.constraints.min_trades,
    primary_metric: config.optimization_targets.primary_metric,
    secondary_metrics: config.optimization_targets.secondary_metrics,
    parallel: config.parallel_config,
    plugin_bundle: loaded.plugin_bundle,
  } satisfies OptimizationSpec, 'optimization_config.parameter_space', `${values.toLocaleString('en-US')} values on its axes`);
}

export function variantTestSpec(loaded: {
  file: string;
  config: VariantConfig;
  base: ResolvedOperation;
  variants: Array<{ name: string; workforce: Workforce }>;
  plugin_bundle: string | null;
}): VariantTestSpec {
  const { config } = loaded;
  return checkSpecSize({
    kind: 'variant_test',
    name: config.name,
    file: loaded.file,
    base: loaded.base,
    variants: loaded.variants,
    min_trades: 0,
    primary_metric: config.optimization_targets.primary_metric,
    secondary_metrics: config.optimization_targets.secondary_metrics,
    parallel: config.parallel_config,
    plugin_bundle: loaded.plugin_bundle,
  } satisfies VariantTestSpec, 'variant_config.variants', `${loaded.variants.length.toLocaleString('en-US')} variants`);
}

/** How many operations a sweep runs: admissible combinations, or variants. */
export function operationCount(spec: SweepSpec): number {
  return spec.kind === 'optimization' ? spec.admissible : spec.variants.length;
}

/** How many operations the index space of a sweep has, before constraints. */
export function indexSpaceSize(spec: SweepSpec): number {
  return spec.kind === 'optimization' ? spec.grid.size : spec.variants.length;
}

/** The parameter columns of a sweep's results table. */
export function paramNames(spec: SweepSpec): string[] {
  return spec.kind === 'optimization' ? spec.grid.axes.map((a) => a.label) : ['variant'];
}
