import { createRoute, OpenAPIHono, z, type RouteConfig } from '@hono/zod-openapi';
import { OptimizationFileSchema, VariantFileSchema } from '../../config/schemas.js';
import { WalkForwardFileSchema } from '../../intake/walk-forward.js';
import { dumpYaml } from '../../intake/yaml.js';
import type { SweepKind } from '../../store/types.js';
import { DEFAULT_BODY_LIMIT, JSON_TYPE, limitBody, parseDocument, YAML_TYPES, type DocumentVariables } from '../body.js';
import { sweepLinks, type ApiDeps } from '../deps.js';
import { validationHook } from '../errors.js';
import { errors, SubmitQuerySchema, SubmittedSchema } from '../schemas.js';
import { checkedSpecFromDocument, PathBodySchema } from '../submission.js';

/*
 * POST /api/optimizations and /api/variant-tests. The body is read by our own middleware (size,
 * UTF-8, JSON or YAML) and checked by the config loader, which names file, field and reason; the
 * OpenAPI document describes it with the loader's own schemas.
 */

/** A body schema the OpenAPI document shows but zod-openapi does not validate (we do, above). */
type DocumentedSchema = Extract<NonNullable<NonNullable<RouteConfig['request']>['body']>['content'][string], { schema: unknown }>['schema'];

function bodySchema(document: z.ZodType): DocumentedSchema {
  const options = { target: 'openapi-3.0', io: 'input', unrepresentable: 'any' } as const;
  return { oneOf: [z.toJSONSchema(PathBodySchema, options), z.toJSONSchema(document, options)] } as DocumentedSchema;
}

const WHAT: Record<SweepKind, string> = {
  optimization: 'an optimization',
  variant_test: 'a variant test',
  walk_forward: 'a walk-forward (its windows are laid out and checked at submission; GET /api/walk-forwards/{id} has its figures)',
};

/**
 * Request bodies that work as they stand in a workspace made by `sweeplab init`, which holds the
 * examples (operation.yaml, optimization.yaml, variant.yaml, walk_forward.yaml, blueprints/, data/)
 * at its root: a path to one of them, and a small document of its own on operation.yaml.
 */
const BODY_EXAMPLES: Record<SweepKind, { path: string; document: Record<string, unknown> }> = {
  optimization: {
    path: 'optimization.yaml',
    document: {
      optimization_config: {
        name: 'sma pairs',
        base_operation: 'operation.yaml',
        parameter_space: [
          {
            worker_category: 'analysis_workers',
            worker_phase: 'signal_generation',
            worker_plugin: 'sma_cross',
            parameters: { fast: { start: 5, end: 20, step: 5 }, slow: { values: [50, 100] } },
          },
        ],
        constraints: { where: 'fast < slow' },
        optimization_targets: { primary_metric: 'sharpe_ratio' },
      },
    },
  },
  variant_test: {
    path: 'variant.yaml',
    document: {
      variant_config: {
        name: 'exit study',
        base_operation: 'operation.yaml',
        variants: [
          { name: 'Baseline', overrides: {} },
          { name: 'Wide stop', overrides: { analysis_workers: { exit_planning: [{ plugin: 'atr_exit', params: { atr_multiplier: 3 } }] } } },
        ],
      },
    },
  },
  walk_forward: {
    path: 'walk_forward.yaml',
    document: {
      walk_forward_config: {
        name: 'sma grid walk-forward',
        base_optimization: 'optimization.yaml',
        windows: { in_sample: '2y', out_of_sample: '1y', mode: 'rolling' },
      },
    },
  },
};

/** The examples of one media type: JSON shows the objects, YAML the same as YAML text. */
function bodyExamples(kind: SweepKind, yaml: boolean) {
  const { path, document } = BODY_EXAMPLES[kind];
  const shown = (value: Record<string, unknown>) => (yaml ? dumpYaml(value) : value);
  return {
    path: { summary: 'A file in the workspace', value: shown({ path }) },
    document: { summary: 'The document itself (its paths start at the workspace root)', value: shown(document) },
  };
}

function submitRoute(kind: SweepKind, path: string, document: z.ZodType, deps: ApiDeps) {
  const schema = bodySchema(document);
  const limit = deps.bodyLimitBytes ?? DEFAULT_BODY_LIMIT;
  return createRoute({
    method: 'post',
    path,
    summary: `Start ${WHAT[kind]}`,
    description:
      'The body is `{ "path": "<file inside the workspace>" }` or the document itself, as JSON or YAML, optionally compressed ' +
      '(`Content-Encoding: gzip` or `deflate`; the size limit holds for the body both as sent and decompressed).',
    middleware: [limitBody(limit), parseDocument(limit)] as const,
    request: {
      query: SubmitQuerySchema,
      body: {
        required: true,
        content: Object.fromEntries([JSON_TYPE, ...YAML_TYPES].map((type) => [type, { schema, examples: bodyExamples(kind, type !== JSON_TYPE) }])),
      },
    },
    responses: {
      202: { description: 'The sweep was started.', content: { 'application/json': { schema: SubmittedSchema } } },
      ...errors(400, 401, 409, 413, 415, 422, 503),
    },
  });
}

export function submitRoutes(deps: ApiDeps) {
  const app = new OpenAPIHono<DocumentVariables>({ defaultHook: validationHook });
  for (const [kind, path, document] of [
    ['optimization', '/optimizations', OptimizationFileSchema],
    ['variant_test', '/variant-tests', VariantFileSchema],
    ['walk_forward', '/walk-forwards', WalkForwardFileSchema],
  ] as const) {
    app.openapi(submitRoute(kind, path, document, deps), async (c) => {
      const { spec, bundle } = await checkedSpecFromDocument(kind, c.get('document'), deps.dataRoot);
      const { id } = await deps.sweeps.submit(spec, { id: c.req.valid('query').id, bundle });
      return c.json({ id, links: sweepLinks(deps, id) }, 202);
    });
  }
  return app;
}
