import { OpenAPIHono } from '@hono/zod-openapi';
import { bearerAuth } from 'hono/bearer-auth';
import type { ApiDeps } from './deps.js';
import { onError, type ErrorBody } from './errors.js';
import { pageRoutes } from './page.js';
import { healthRoutes } from './routes/health.js';
import { operationRoutes } from './routes/operations.js';
import { submitRoutes } from './routes/submit.js';
import { sweepRoutes } from './routes/sweeps.js';
import { walkForwardRoutes } from './routes/walk-forwards.js';

export type { ApiDeps } from './deps.js';

/**
 * The HTTP API and its page (DESIGN §6). Stateless: everything lives in Temporal and the store,
 * so any number of these can run and a restart loses nothing.
 */
export function createApp(deps: ApiDeps) {
  const app = new OpenAPIHono();
  app.onError(onError);
  app.notFound((c) => c.json({ error: { message: `no route for ${c.req.method} ${c.req.path}` } } satisfies ErrorBody, 404));

  if (deps.token) {
    const refuse = (message: string) => ({ error: { message } }) satisfies ErrorBody;
    const auth = bearerAuth({
      token: deps.token,
      noAuthenticationHeader: { message: refuse('this API needs "Authorization: Bearer <token>"') },
      invalidAuthenticationHeader: { message: refuse('the Authorization header is not "Bearer <token>"') },
      invalidToken: { message: refuse('wrong token') },
    });
    app.use('/api/*', (c, next) => (c.req.path === '/api/health' ? next() : auth(c, next)));
  }

  app.route('/api', submitRoutes(deps));
  app.route('/api/sweeps', sweepRoutes(deps));
  app.route('/api/walk-forwards', walkForwardRoutes(deps));
  app.route('/api/operations', operationRoutes(deps));
  app.route('/api/health', healthRoutes(deps));
  app.doc('/api/openapi.json', {
    openapi: '3.0.0',
    info: { title: 'sweeplab', version: '0.1.0', description: 'Backtest sweeps (grid optimizations, variant tests and walk-forwards) on Temporal.' },
    ...(deps.token ? { security: [{ bearer: [] }] } : {}),
  });
  if (deps.token) app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer' });
  app.route('/', pageRoutes());
  return app;
}
