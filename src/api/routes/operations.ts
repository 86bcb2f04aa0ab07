import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { operationYaml } from '../../services/full-results.js';
import { NotFoundError } from '../../config/errors.js';
import type { ApiDeps } from '../deps.js';
import { validationHook } from '../errors.js';
import { errors, OperationParamsSchema } from '../schemas.js';

/**
 * GET /api/operations/:hash: the materialized operation, derived from the spec and index of a sweep
 * that ran it (src/services/full-results.ts). Its csv path is relative to the
 * data root, so saved at the workspace root it replays with `sweeplab run-operation` to the same result.
 */
export function operationRoutes(deps: ApiDeps) {
  const app = new OpenAPIHono({ defaultHook: validationHook });
  app.openapi(
    createRoute({
      method: 'get',
      path: '/{hash}',
      summary: 'A materialized operation as YAML',
      request: { params: OperationParamsSchema },
      responses: {
        200: { description: 'The operation, replayable with `sweeplab run-operation`.', content: { 'text/yaml': { schema: z.string() } } },
        ...errors(400, 401, 404),
      },
    }),
    async (c) => {
      const { hash } = c.req.valid('param');
      const yaml = await operationYaml(deps.store, hash);
      if (yaml === null) throw new NotFoundError('operation', hash, 'no such operation in the results store');
      return c.body(yaml, 200, { 'Content-Type': 'text/yaml; charset=utf-8' });
    },
  );
  return app;
}
