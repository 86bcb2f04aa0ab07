import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { z } from 'zod';
import { fromZodError, isUserError, RequestError, type UserError, type UserErrorKind } from '../config/errors.js';
import { asTemporalUnreachable } from '../temporal/connection.js';

/*
 * How errors become responses, in one table: a user error's kind says its status (STATUS below;
 * docs/architecture.md, "Errors"). Temporal being away is 503, saying so (reads answer from the store
 * instead: src/client/sweeps.ts). The body reader alone answers 413 and 415 (httpError), which are
 * about the bytes of the request rather than what it asks. Anything else is a bug: logged, 500, and
 * the client sees no stack trace.
 */

export interface ErrorBody {
  /** `file` is the error's "where": a file, a setting, the query, or the kind of thing (`sweep`). */
  error: { message: string; file?: string; field?: string; reason?: string };
}

const STATUS = {
  /** The request was read, but what it says is wrong. */
  invalid: 422,
  /** The request could not be read as asked (query, path parameter, body bytes). */
  request: 400,
  not_found: 404,
  conflict: 409,
  /** Like invalid: resending the same request fails the same way until the data is restored. */
  data: 422,
} as const satisfies Record<UserErrorKind, ContentfulStatusCode>;

/** A user error answered with `status`, for what only HTTP has words for (413, 415). */
export function httpError(status: ContentfulStatusCode, error: UserError): HTTPException {
  return new HTTPException(status, { message: error.message, cause: error });
}

export function describe(error: UserError): ErrorBody {
  return { error: { ...(error.where === null ? {} : { file: error.where }), field: error.field, reason: error.reason, message: error.message } };
}

export function onError(err: Error, c: Context): Response {
  if (err instanceof HTTPException) {
    if (isUserError(err.cause)) return c.json(describe(err.cause), err.status);
    // Middleware such as bearerAuth builds its own response (with WWW-Authenticate).
    if (err.res) return err.getResponse();
    return c.json({ error: { message: err.message || 'request refused' } } satisfies ErrorBody, err.status);
  }
  if (isUserError(err)) return c.json(describe(err), STATUS[err.kind]);
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
  throw RequestError.from(fromZodError(file, result.error));
}
