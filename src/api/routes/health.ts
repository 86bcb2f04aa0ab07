import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import { askTemporal } from '../../temporal/connection.js';
import type { ApiDeps } from '../deps.js';
import { HealthSchema } from '../schemas.js';

/** A dependency that does not answer within this long counts as down. */
const CHECK_TIMEOUT_MS = 3_000;

/** GET /api/health: open without a token, 503 when Temporal or the store does not answer. */
export function healthRoutes(deps: ApiDeps) {
  const app = new OpenAPIHono();
  app.openapi(
    createRoute({
      method: 'get',
      path: '/',
      summary: 'Whether Temporal and the results store answer',
      responses: {
        200: { description: 'Both answer.', content: { 'application/json': { schema: HealthSchema } } },
        503: { description: 'One of them does not.', content: { 'application/json': { schema: HealthSchema } } },
      },
    }),
    async (c) => {
      const [temporal, store] = await Promise.all([
        // Under a deadline, so the client's own retries stop too: none outlives the request.
        check(() => {
          const { client } = deps.sweeps;
          return askTemporal(client, CHECK_TIMEOUT_MS, () => client.workflowService.getSystemInfo({}));
        }),
        check(() => deps.store.ping()),
      ]);
      const ok = temporal === 'ok' && store === 'ok';
      return c.json({ ok, temporal, store }, ok ? 200 : 503);
    },
  );
  return app;
}

/** "ok", or the failure's message (a health check reports, it does not throw). */
async function check(probe: () => Promise<unknown>): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
  });
  try {
    await Promise.race([probe(), timeout]);
    return 'ok';
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    clearTimeout(timer);
  }
}
