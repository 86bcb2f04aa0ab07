import { createRoute, OpenAPIHono, z, type RouteConfig } from '@hono/zod-openapi';
import { OptimizationFileSchema, VariantFileSchema } from '../../config/schemas.js';
import { WalkForwardFileSchema } from '../../config/walk-forward.js';
import type { SweepKind } from '../../store/types.js';
import { DEFAULT_BODY_LIMIT, JSON_TYPE, limitBody, parseDocument, YAML_TYPES, type DocumentVariables } from '../body.js';
import { sweepLinks, type ApiDeps } from '../deps.js';
import { validationHook, withStatus } from '../errors.js';
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

function submitRoute(kind: SweepKind, path: string, document: z.ZodType, deps: ApiDeps) {
  const schema = bodySchema(document);
  return createRoute({
    method: 'post',
    path,
    summary: `Start ${WHAT[kind]}`,
    description: 'The body is `{ "path": "<file inside the workspace>" }` or the document itself, as JSON or YAML.',
    middleware: [limitBody(deps.bodyLimitBytes ?? DEFAULT_BODY_LIMIT), parseDocument] as const,
    request: {
      query: SubmitQuerySchema,
      body: {
        required: true,
        content: Object.fromEntries([JSON_TYPE, ...YAML_TYPES].map((type) => [type, { schema }])),
      },
    },
    responses: {
      202: { description: 'The sweep was started.', content: { 'application/json': { schema: SubmittedSchema } } },
      ...errors(400, 401, 409, 413, 415, 422),
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
      // The only ConfigError submit throws here is an id already in use (the bundle comes along).
      const { id } = await withStatus(409, () => deps.sweeps.submit(spec, { id: c.req.valid('query').id, bundle }));
      return c.json({ id, links: sweepLinks(deps, id) }, 202);
    });
  }
  return app;
}
