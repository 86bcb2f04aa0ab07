import { OpenAPIHono } from '@hono/zod-openapi';
import { bearerAuth } from 'hono/bearer-auth';
import type { ApiDeps } from './deps.js';
import type { MiddlewareHandler } from 'hono';
import { RequestError } from '../config/errors.js';
import { describe, onError, type ErrorBody } from './errors.js';
import { pageRoutes } from './page.js';
import { healthRoutes } from './routes/health.js';
import { operationRoutes } from './routes/operations.js';
import { submitRoutes } from './routes/submit.js';
import { sweepRoutes } from './routes/sweeps.js';
import { walkForwardRoutes } from './routes/walk-forwards.js';

export type { ApiDeps } from './deps.js';

/** The methods of the routes whose path pattern matches `path` (middleware, `ALL`, excluded). */
function allowedMethods(routes: ReadonlyArray<{ method: string; path: string }>, path: string): string[] {
  const methods = new Set<string>();
  for (const route of routes) {
    if (route.method === 'ALL') continue;
    const pattern = route.path
      .split('/')
      .map((part) => (part.startsWith(':') ? '[^/]+' : part === '*' ? '.*' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
      .join('/');
    if (new RegExp(`^${pattern}/?$`).test(path)) methods.add(route.method);
  }
  if (methods.has('GET')) methods.add('HEAD');
  return [...methods].sort();
}

/**
 * No query parameter of this API takes several values (lists are comma-separated), so a repeated one
 * is a mistake to name, not an array to coerce into "received NaN".
 */
const refuseRepeatedQuery: MiddlewareHandler = async (c, next) => {
  for (const [key, values] of Object.entries(c.req.queries())) {
    if (values.length > 1) {
      throw new RequestError('query', key, `is given ${values.length} times (${values.map((v) => `"${v}"`).join(', ')}); give it once`);
    }
  }
  await next();
};

/**
 * The HTTP API and its page (docs/cli.md, docs/deploy.md). Stateless: everything lives in Temporal and the store,
 * so any number of these can run and a restart loses nothing.
 */
export function createApp(deps: ApiDeps) {
  const app = new OpenAPIHono();
  app.onError(onError);
  app.notFound((c) => {
    const allowed = allowedMethods(app.routes, c.req.path);
    if (allowed.length > 0) {
      const error = new RequestError('request', 'method', `"${c.req.method}" is not allowed on ${c.req.path}; it answers ${allowed.join(', ')}`);
      return c.json(describe(error), 405, { Allow: allowed.join(', ') });
    }
    return c.json({ error: { message: `no route for ${c.req.method} ${c.req.path}` } } satisfies ErrorBody, 404);
  });
  app.use('/api/*', refuseRepeatedQuery);

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
