import { z } from 'zod';
import { BUILTIN_PLUGINS, pluginCodeOf, type PluginSet } from '../engine/plugins/registry.js';
import { cloneJson } from '../core/json.js';
import type { ResolvedOperation } from './resolved.js';
import { BlueprintSchema, DataSourceSchema, EnvironmentSchema, OperationSchema, StrategyLinkSchema, type Workforce } from './schemas.js';

/**
 * A self-contained, replayable operation (docs/formats.md, "Materialized operations"): an operation.yaml with exactly one strategy
 * link, its blueprint inlined, and only the environment and data source that link uses (a csv path
 * relative to the data root, its sha256 set). Every materialized operation is also a valid
 * operation.yaml. Pure (no Node imports).
 */
export const MaterializedOperationSchema = z
  .object({
    display_name: OperationSchema.shape.display_name,
    strategy_links: z.tuple([StrategyLinkSchema.extend({ strategy_blueprint: BlueprintSchema, is_active: z.literal(true).default(true) })]),
    environments: z.record(z.string(), EnvironmentSchema),
    data_sources: z.record(z.string(), DataSourceSchema),
    plugin_code: OperationSchema.shape.plugin_code,
  })
  .strict()
  .superRefine((op, ctx) => {
    const environment = op.environments[op.strategy_links[0].execution_environment];
    if (!environment || Object.keys(op.environments).length !== 1) {
      ctx.addIssue({ code: 'custom', path: ['environments'], message: 'must hold exactly the environment the strategy link names' });
    } else if (!op.data_sources[environment.data_source] || Object.keys(op.data_sources).length !== 1) {
      ctx.addIssue({ code: 'custom', path: ['data_sources'], message: 'must hold exactly the data source the environment names' });
    } else {
      const source = op.data_sources[environment.data_source];
      if (source.type === 'csv_archive' && !source.sha256) {
        ctx.addIssue({ code: 'custom', path: ['data_sources', environment.data_source, 'sha256'], message: 'is required in a materialized operation' });
      }
    }
  });
export type MaterializedOperation = z.infer<typeof MaterializedOperationSchema>;

/** `plugins` names the code of the user plugins the workforce uses (plugin_code), by file and hash. */
export function materialize(base: ResolvedOperation, workforce: Workforce, displayName: string, plugins: PluginSet = BUILTIN_PLUGINS): MaterializedOperation {
  // cloneJson drops undefined members (an absent description, start or end) so the result is
  // plain JSON that serializes, hashes and crosses the workflow boundary unchanged.
  return cloneJson({
    display_name: displayName,
    strategy_links: [
      {
        strategy_blueprint: { name: base.blueprint.name, description: base.blueprint.description, workforce },
        execution_environment: base.environment_id,
        is_active: true as const,
      },
    ] as MaterializedOperation['strategy_links'],
    environments: { [base.environment_id]: base.environment },
    data_sources: { [base.data_source_id]: base.data_source },
    plugin_code: pluginCodeOf(workforce, plugins),
  });
}

/** The parts a materialized operation consists of, in the shape the loader produces. */
export function resolvedFromMaterialized(op: MaterializedOperation): ResolvedOperation {
  const [link] = op.strategy_links;
  const environment = op.environments[link.execution_environment];
  return {
    display_name: op.display_name,
    blueprint: link.strategy_blueprint,
    environment_id: link.execution_environment,
    environment,
    data_source_id: environment.data_source,
    data_source: op.data_sources[environment.data_source],
  };
}
