import { z } from 'zod';
import { BlueprintSchema, DataSourceSchema, EnvironmentSchema } from './schemas.js';

/**
 * An operation after loading: the one strategy link that runs, with everything it points at pulled
 * in and checked. Plain JSON, so it can be a workflow input. Pure (no Node imports).
 */
export const ResolvedOperationSchema = z
  .object({
    display_name: z.string(),
    /** The blueprint of the first active link, params normalized by the plugin schemas (defaults set). */
    blueprint: BlueprintSchema,
    environment_id: z.string(),
    /** Defaults applied. */
    environment: EnvironmentSchema,
    data_source_id: z.string(),
    /** A csv path is relative to the data root, with `sha256` set. */
    data_source: DataSourceSchema,
  })
  .strict();
export type ResolvedOperation = z.infer<typeof ResolvedOperationSchema>;
