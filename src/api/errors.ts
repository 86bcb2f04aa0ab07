import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { z } from 'zod';
import { SweepNotFound } from '../client/sweeps.js';
import { ConfigError, fromZodError, isConfigError } from '../config/errors.js';
import { asTemporalUnreachable } from '../temporal/connection.js';

/*
 * How errors become responses. A user's mistake is a ConfigError; its status depends on where it
 * was made, so a route that knows better wraps it: `httpError(400, error)` for a request the server
 * could not even read (bad JSON/YAML, unknown query field), 409 for a sweep not in a state for the
 * action. Unwrapped, a ConfigError is 422 (the request was read but is wrong) and SweepNotFound 404.
 * Temporal being away is 503, saying so (reads answer from the store instead: src/client/sweeps.ts).
 * Anything else is a bug: logged, 500, and the client sees no stack trace.
 */

export interface ErrorBody {
  error: { message: string; file?: string; field?: string; reason?: string };
}

/** A ConfigError answered with `status` instead of 422. */
export function httpError(status: ContentfulStatusCode, error: ConfigError): HTTPException {
  return new HTTPException(status, { message: error.message, cause: error });
}

/** Runs `fn`, answering a ConfigError it throws with `status` (SweepNotFound stays 404). */
export async function withStatus<T>(status: ContentfulStatusCode, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (isConfigError(error) && !(error instanceof SweepNotFound)) throw httpError(status, error);
    throw error;
  }
}

export function describe(error: ConfigError): ErrorBody {
  return { error: { file: error.file, field: error.field, reason: error.reason, message: error.message } };
}

export function onError(err: Error, c: Context): Response {
  if (err instanceof HTTPException) {
    if (isConfigError(err.cause)) return c.json(describe(err.cause), err.status);
    // Middleware such as bearerAuth builds its own response (with WWW-Authenticate).
    if (err.res) return err.getResponse();
    return c.json({ error: { message: err.message || 'request refused' } } satisfies ErrorBody, err.status);
  }
  if (err instanceof SweepNotFound) return c.json(describe(err), 404);
  if (isConfigError(err)) return c.json(describe(err), 422);
  const away = asTemporalUnreachable(err);
  if (away) return c.json({ error: { message: away.message } } satisfies ErrorBody, 503, { 'Retry-After': '5' });
  console.error(`sweeplab api: ${c.req.method} ${c.req.path} failed:`, err);
  return c.json({ error: { message: 'internal error (the server log has the details)' } } satisfies ErrorBody, 500);
}

/**
 * The validation hook of every route: a query or path parameter that fails its schema is a 400
 * naming the parameter, in the ConfigError shape.
 */
export function validationHook(result: { success: true } | { success: false; error: z.ZodError; target: string }): void {
  if (result.success) return;
  const file = result.target === 'param' ? 'path' : result.target;
  throw httpError(400, fromZodError(file, result.error));
}
