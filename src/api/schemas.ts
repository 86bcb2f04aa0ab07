import { z } from '@hono/zod-openapi';
import { SWEEP_ID_PATTERN, SWEEP_ID_RULE } from '../client/sweep-id.js';
import type { SweepView } from '../client/sweeps.js';
import { SweepStatisticsSchema } from '../stats/schemas.js';
import { SweepKindSchema, SweepStatusSchema, type ResultRow } from '../store/types.js';

/*
 * The API's own shapes: query and path parameters (validated by the routes) and the responses the
 * routes build. Objects the API passes through from the client or the store (SweepView, ResultRow)
 * keep their TypeScript types from there and are only described here for the OpenAPI document.
 */

export const SweepIdSchema = z
  .string()
  .regex(SWEEP_ID_PATTERN, SWEEP_ID_RULE)
  .openapi({ example: 'opt-20250101-120000-a1b2c3' });

export const SweepParamsSchema = z.object({ id: SweepIdSchema.openapi({ param: { name: 'id', in: 'path' } }) });

export const OperationParamsSchema = z.object({
  hash: z
    .string()
    .regex(/^[0-9a-f]{64}$/, 'must be a 64-character lowercase hex sha256')
    .openapi({ param: { name: 'hash', in: 'path' } }),
});

export const SubmitQuerySchema = z.object({ id: SweepIdSchema.optional().openapi({ description: 'Sweep id to use instead of a generated one.' }) });

const ParamValueSchema = z.union([z.string(), z.number(), z.boolean()]);

export const LinksSchema = z
  .object({
    self: z.string(),
    results: z.string(),
    equity: z.string(),
    /** The workflow in the Temporal UI; null when the server knows no UI address. */
    temporal_ui: z.string().nullable(),
  })
  .openapi('Links');

export const SubmittedSchema = z.object({ id: z.string(), links: LinksSchema }).openapi('Submitted');

export const SweepViewSchema = z
  .custom<SweepView>()
  .openapi('SweepView', {
    type: 'object',
    description: 'Status and progress of a sweep: id, kind, name, status, total, done, failed, running, rate (ops/s), eta_s, primary_metric, best, errors, progress, workflow_status.',
  });

export const SweepDetailSchema = z.custom<SweepView & { links: z.infer<typeof LinksSchema> }>().openapi('SweepDetail', {
  type: 'object',
  description:
    'A SweepView with links to its results, curves and Temporal UI page. While Temporal is unreachable a read still answers 200, from the results store, with temporal "unreachable" and a note saying so.',
  properties: {
    temporal: {
      type: 'string',
      enum: ['ok', 'unreachable', 'not_asked'],
      description: '"ok": Temporal answered. "unreachable": it did not (within 0.7 s), so status and counts are the results store\'s. "not_asked": a sweep the store has as closed, listed from its row.',
    },
    note: {
      type: 'string',
      nullable: true,
      description: "Why an open sweep's figures are the store's and not live, as a fact (Temporal unreachable, or no worker answered); null otherwise.",
      example: 'live figures unavailable: Temporal at 127.0.0.1:7233 is unreachable (connect ECONNREFUSED 127.0.0.1:7233); status and counts from the results store',
    },
  },
});

export const ListQuerySchema = z.object({
  kind: SweepKindSchema.optional(),
  status: SweepStatusSchema.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  offset: z.coerce.number().int().min(0).default(0),
});

export const SweepListSchema = z
  .object({
    rows: z.array(SweepDetailSchema),
    total: z.number().int(),
    limit: z.number().int(),
    offset: z.number().int(),
  })
  .openapi('SweepList');

export const ResultsQuerySchema = z.object({
  sort: z.string().optional().openapi({ description: 'A metric, a parameter, "idx" or "status"; default the primary metric.' }),
  order: z.enum(['asc', 'desc']).optional().openapi({ description: 'Default: best first for a metric, else ascending.' }),
  limit: z.coerce.number().int().min(0).max(1_000_000).optional().openapi({ description: 'Default 50 for JSON, every row for CSV.' }),
  offset: z.coerce.number().int().min(0).default(0),
  filter: z.string().optional().openapi({ example: 'sharpe_ratio>1,fast=10' }),
  format: z.enum(['json', 'csv']).default('json'),
});

export const ResultRowSchema = z.custom<ResultRow>().openapi('ResultRow', {
  type: 'object',
  description:
    'idx, hash, params (by label), status ("done" | "failed"), error, metrics (every metric, null when undefined; null when failed), code (the code version that computed it: results_version, package_version, build_id; null for rows stored before code versions were recorded).',
});

export const ResultsPageSchema = z
  .object({
    rows: z.array(ResultRowSchema),
    total: z.number().int(),
    limit: z.number().int().nullable(),
    offset: z.number().int(),
  })
  .openapi('ResultsPage');

export const EquityQuerySchema = z.object({
  ids: z.string().optional().openapi({ description: 'Operation hashes or grid indices, comma-separated (≤ 50). Default: every variant, or the top 5 of an optimization.' }),
  points: z.coerce.number().int().min(2).max(20_000).default(500),
});

export const EquitySchema = z
  .object({
    /** Epoch milliseconds (UTC), shared by every series. */
    t: z.array(z.number()),
    series: z.array(
      z.object({
        hash: z.string(),
        idx: z.number().int(),
        params: z.record(z.string(), ParamValueSchema),
        equity: z.array(z.number().nullable()),
        drawdown: z.array(z.number().nullable()),
      }),
    ),
  })
  .openapi('Equity');

export const HeatmapQuerySchema = z.object({
  x: z.string().min(1),
  y: z.string().min(1),
  metric: z.string().optional().openapi({ description: 'Default: the primary metric.' }),
  agg: z.enum(['max', 'mean']).default('max'),
});

export const HeatmapSchema = z
  .object({
    x: z.array(ParamValueSchema),
    y: z.array(ParamValueSchema),
    metric: z.string(),
    agg: z.enum(['max', 'mean']),
    cells: z.array(z.object({ x: ParamValueSchema, y: ParamValueSchema, value: z.number().nullable(), count: z.number().int() })),
  })
  .openapi('Heatmap');

export const HealthSchema = z
  .object({
    ok: z.boolean(),
    temporal: z.string().openapi({ description: '"ok" or what went wrong.' }),
    store: z.string().openapi({ description: '"ok" or what went wrong.' }),
  })
  .openapi('Health');

export const ErrorSchema = z
  .object({
    error: z.object({
      message: z.string(),
      file: z.string().optional(),
      field: z.string().optional(),
      reason: z.string().optional(),
    }),
  })
  .openapi('Error');

/** Error responses, for the OpenAPI document. */
/**
 * The robustness statistics as stored (src/stats/schemas.ts is the one schema; this names it in the
 * document). Rebuilt from its shape with this module's `z`, because a schema made before
 * @hono/zod-openapi was loaded (the CLI loads src/stats first) has no `.openapi()`.
 */
export const StatisticsSchema = z.object(SweepStatisticsSchema.shape).openapi('SweepStatistics', { description: SweepStatisticsSchema.description });

export function errors(...statuses: Array<400 | 401 | 404 | 409 | 413 | 415 | 422 | 503>) {
  const text: Record<number, string> = {
    400: 'The request could not be read (malformed body, bad query parameter).',
    401: 'Missing or wrong bearer token.',
    404: 'No such sweep or operation.',
    409: 'The sweep is not in a state for this action.',
    413: 'The body is larger than the limit.',
    415: 'Unsupported Content-Type.',
    422: 'The document was read but is wrong (names the file, field and reason).',
    503: 'Temporal is unreachable (or another dependency is down); the message says which. Retry later.',
  };
  return Object.fromEntries(statuses.map((s) => [s, { description: text[s]!, content: { 'application/json': { schema: ErrorSchema } } }]));
}
