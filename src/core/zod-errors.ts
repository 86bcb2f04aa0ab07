import type { z } from 'zod';
import { ConfigError, joinPath } from './errors.js';
import { didYouMean } from './suggest.js';

/*
 * Zod's issues as the user errors of src/core/errors.ts: the first issue, said the way a person
 * fixes it (a misspelt field by the name it was meant to be, the union member the value got
 * furthest into). Below every layer, so the engine's and data's params parse with it too.
 */

/** An `invalid` (or `request`) user error: what the user gave is wrong. */
export function isConfigError(error: unknown): error is ConfigError {
  return error instanceof Error && error.name === 'ConfigError';
}

/** Turns the first zod issue into a ConfigError (the first is what the user fixes first). */
export function fromZodError(file: string | null, error: z.ZodError, prefix = ''): ConfigError {
  const misspelt = misspeltField(error.issues);
  if (misspelt) return new ConfigError(file, joinPath(prefix, ...misspelt.path), misspelt.reason);
  const { issue, path } = explainUnion(error.issues[0]!, []);
  return new ConfigError(file, joinPath(prefix, ...path, ...(issue.path as Array<string | number>)), describeIssue(issue));
}

/**
 * A misspelt field shows up twice: as an unknown key, and as the required field it was meant to be
 * (`data_source:` for `data_sources:`). Said once, with the name it was meant to be.
 */
function misspeltField(issues: z.core.$ZodIssue[]): { path: Array<string | number>; reason: string } | null {
  const missing = issues.filter((i) => i.code === 'invalid_type' && /received undefined$/.test(i.message) && i.path.length > 0);
  for (const unknown of issues) {
    if (unknown.code !== 'unrecognized_keys') continue;
    const siblings = missing.filter((m) => m.path.length === unknown.path.length + 1 && unknown.path.every((p, i) => m.path[i] === p)).map((m) => String(m.path.at(-1)));
    for (const key of unknown.keys) {
      const hint = didYouMean(key, siblings);
      if (hint) return { path: unknown.path as Array<string | number>, reason: `unknown field "${key}"${hint}` };
    }
  }
  return null;
}

/**
 * zod reports a value that fits no member of a union as "Invalid input", with each member's issues
 * attached. The member the value got furthest into (deepest first issue, then fewest issues) is
 * almost always the one the user meant, e.g. a range `{ start, end }` missing its step.
 * When every member fails on the value itself, the reason lists what was expected.
 */
function explainUnion(issue: z.core.$ZodIssue, path: Array<string | number>): { issue: z.core.$ZodIssue; path: Array<string | number> } {
  if (issue.code !== 'invalid_union' || issue.errors.length === 0) return { issue, path };
  const branches = issue.errors.filter((b) => b.length > 0);
  const depth = (b: z.core.$ZodIssue[]) => b[0]!.path.length;
  const atRoot = branches.every((b) => depth(b) === 0 && b[0]!.code === 'invalid_type');
  if (atRoot) {
    const expected = [...new Set(branches.map((b) => (b[0] as z.core.$ZodIssueInvalidType).expected))];
    const received = /received (\w+)$/.exec(branches[0]![0]!.message)?.[1] ?? 'something else';
    const message = `expected ${expected.join(' or ')}, received ${received}`;
    return { issue: { ...issue, message }, path };
  }
  const best = branches.reduce((a, b) => (depth(b) > depth(a) || (depth(b) === depth(a) && b.length < a.length) ? b : a));
  return explainUnion(best[0]!, [...path, ...(issue.path as Array<string | number>)]);
}

function describeIssue(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'unrecognized_keys':
      return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
    case 'invalid_type':
      // zod drops `input` from reported issues, so a missing value is told apart by the message.
      return ('input' in issue ? issue.input === undefined : /received undefined$/.test(issue.message))
        ? `is required (${issue.expected})`
        : issue.message.replace(/^Invalid input: /, '');
    default:
      return issue.message.replace(/^Invalid input: /, '');
  }
}

/** Parses `value` with `schema`, throwing a ConfigError that names `file` and the field. */
export function parseWith<S extends z.ZodType>(schema: S, value: unknown, file: string | null, prefix = ''): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw fromZodError(file, parsed.error, prefix);
  return parsed.data;
}
