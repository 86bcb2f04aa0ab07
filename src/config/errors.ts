import type { z } from 'zod';

/**
 * A mistake in what the user gave us (a YAML file, a CLI flag, a request body): never a bug.
 * It names where (file), what (field path, dotted, with list indices) and why, with values quoted,
 * so that one paragraph is enough to fix it. The CLI prints `message` and exits 2, the API answers
 * 4xx, activities fail non-retryably with it.
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    /** The file (or "request body", "--flag") the mistake is in. */
    readonly file: string,
    /** Dotted field path, e.g. `environments.goog_daily.fees_pct`; empty for the whole document. */
    readonly field: string,
    readonly reason: string,
  ) {
    super(`${file}${field ? `: ${field}` : ''}: ${reason}`);
  }

  /** The same error, but for a document that was embedded in `file` at `prefix`. */
  within(file: string, prefix: string): ConfigError {
    return new ConfigError(file, joinPath(prefix, this.field), this.reason);
  }
}

export function isConfigError(error: unknown): error is ConfigError {
  return error instanceof Error && error.name === 'ConfigError';
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

/** Turns the first zod issue into a ConfigError (the first is what the user fixes first). */
export function fromZodError(file: string, error: z.ZodError, prefix = ''): ConfigError {
  const issue = error.issues[0]!;
  return new ConfigError(file, joinPath(prefix, ...(issue.path as Array<string | number>)), describeIssue(issue));
}

function describeIssue(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'unrecognized_keys':
      return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
    case 'invalid_type':
      return issue.input === undefined ? `is required (${issue.expected})` : `${issue.message.replace(/^Invalid input: /, '')}`;
    default:
      return issue.message.replace(/^Invalid input: /, '');
  }
}

/** Parses `value` with `schema`, throwing a ConfigError that names `file` and the field. */
export function parseWith<S extends z.ZodType>(schema: S, value: unknown, file: string, prefix = ''): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw fromZodError(file, parsed.error, prefix);
  return parsed.data;
}
