/*
 * The errors a user can cause, as one small hierarchy. Each carries a `kind`, and each front end turns
 * a kind into its outcome in one place: the API into an HTTP status (src/api/errors.ts), the CLI into
 * an exit code (src/cli/main.ts); docs/architecture.md ("Errors") has the table. Anything else thrown
 * is a bug. The message is always `where: field: reason` (field left out when empty, where when
 * unknown), so one paragraph is enough to act on it.
 */

/**
 * - `invalid`: what the user gave (a YAML file, a flag, a request body) is wrong;
 * - `request`: the request itself cannot be read as asked (a query or path parameter, the body's bytes);
 * - `not_found`: the thing asked for does not exist (a sweep, an operation, its statistics);
 * - `conflict`: the thing exists but is not in a state, or of a kind, for what was asked (pause a completed
 *   sweep, an id already taken);
 * - `data`: what a sweep or an operation was made from changed or went missing since (a data file whose
 *   sha256 no longer matches, a stored plugin bundle gone or altered).
 */
export type UserErrorKind = 'invalid' | 'request' | 'not_found' | 'conflict' | 'data';

export abstract class UserError extends Error {
  abstract readonly kind: UserErrorKind;
  constructor(
    /** Where the mistake is: a file, a setting (`--port`, `DATABASE_URL`), or the thing it is about (`sweep`); null when the thrower cannot know (the engine: its caller says). */
    readonly where: string | null,
    /** Dotted field path, e.g. `environments.goog_daily.fees_pct`, or the thing's id; empty for the whole. */
    readonly field: string,
    readonly reason: string,
  ) {
    super([where, field, reason].filter((part) => part !== null && part !== '').join(': '));
  }
}

const USER_ERROR_NAMES = new Set(['ConfigError', 'NotFoundError', 'ConflictError', 'DataError']);

/** By name, not instanceof: a plugin's realm has its own copies of these classes. */
export function isUserError(error: unknown): error is UserError {
  return error instanceof Error && USER_ERROR_NAMES.has(error.name) && 'kind' in error;
}

/**
 * A mistake in what the user gave us (a YAML file, a CLI flag, a request body): never a bug.
 * It names where (file), what (field path, dotted, with list indices) and why, with values quoted.
 */
export class ConfigError extends UserError {
  override readonly name = 'ConfigError';
  readonly kind: 'invalid' | 'request' = 'invalid';
  constructor(
    /** The file (or setting: "request body", "--flag", "DATABASE_URL") the mistake is in; null from code that cannot know it (the engine), for its caller to fill in (`locate`). */
    readonly file: string | null,
    field: string,
    reason: string,
  ) {
    super(file, field, reason);
  }

  /** The same error, but for a document that was embedded in `file` at `prefix`. */
  within(file: string, prefix: string): ConfigError {
    return new ConfigError(file, joinPath(prefix, this.field), this.reason);
  }

  /** This error placed in `file` at `prefix` when it names no file yet (the engine's); itself when it does. */
  locate(file: string, prefix: string): ConfigError {
    return this.file === null ? this.within(file, prefix) : this;
  }
}

/** A request that cannot be read as asked: an unknown query field, a bad operator, a body that is not JSON. */
export class RequestError extends ConfigError {
  override readonly kind = 'request' as const;

  /** What a parser reported as a ConfigError, when what it parsed was the request itself. */
  static from(error: ConfigError): RequestError {
    return new RequestError(error.file, error.field, error.reason);
  }
}

/** `where` is the kind of thing (`sweep`, `operation`), `field` its id: `sweep: abc: no such sweep`. */
export class NotFoundError extends UserError {
  override readonly name = 'NotFoundError';
  readonly kind = 'not_found' as const;
}

/** The thing exists, but is not in a state (or of a kind) for what was asked. */
export class ConflictError extends UserError {
  override readonly name = 'ConflictError';
  readonly kind = 'conflict' as const;
}

/** What a sweep or operation was made from changed or went missing since it was written. */
export class DataError extends UserError {
  override readonly name = 'DataError';
  readonly kind = 'data' as const;
}

export function joinPath(...parts: Array<string | number | undefined>): string {
  let out = '';
  for (const part of parts) {
    if (part === undefined || part === '') continue;
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${part}` : part;
  }
  return out;
}
