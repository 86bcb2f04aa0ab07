import type { Grid } from './grid.js';
import type { ResolvedOperation } from './resolved.js';
import type { OptimizationConfig, ParallelConfig, VariantConfig, Workforce } from './schemas.js';
import type { MetricName } from '../engine/result.js';

/*
 * A sweep's specification: everything a sweep needs, validated and resolved, as plain JSON. It is the
 * workflow's input (and so part of its continue-as-new cursor) and what every activity receives, so it
 * holds no file paths to re-read and no large arrays: the grid is expanded by index, lazily.
 */

interface SweepSpecBase {
  name: string;
  /** The file the sweep came from (for messages and the store); "request body" over the API. */
  file: string;
  base: ResolvedOperation;
  primary_metric: MetricName;
  secondary_metrics: MetricName[];
  /** Results with fewer closed trades are stored but not ranked. */
  min_trades: number;
  parallel: ParallelConfig;
  /**
   * sha256 of the workspace's plugin bundle when the sweep runs a user plugin, else null. The
   * bundle is in the results store under this hash; workers run the sweep with that code only.
   */
  plugin_bundle: string | null;
}

export interface OptimizationSpec extends SweepSpecBase {
  kind: 'optimization';
  grid: Grid;
  where: string | null;
  /** Combinations that satisfy `where`, counted when the file was loaded. */
  admissible: number;
  /** Time blocks S of each operation's block returns, for PBO (optimization_config.robustness.blocks). */
  blocks: number;
}

export interface VariantTestSpec extends SweepSpecBase {
  kind: 'variant_test';
  variants: Array<{ name: string; workforce: Workforce }>;
}

export type SweepSpec = OptimizationSpec | VariantTestSpec;

export function optimizationSpec(loaded: {
  file: string;
  config: OptimizationConfig;
  base: ResolvedOperation;
  grid: Grid;
  admissible: number;
  plugin_bundle: string | null;
}): OptimizationSpec {
  const { config } = loaded;
  return {
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
  };
}

export function variantTestSpec(loaded: {
  file: string;
  config: VariantConfig;
  base: ResolvedOperation;
  variants: Array<{ name: string; workforce: Workforce }>;
  plugin_bundle: string | null;
}): VariantTestSpec {
  const { config } = loaded;
  return {
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
  };
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
