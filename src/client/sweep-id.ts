import { ConfigError } from '../config/errors.js';

/*
 * A sweep id is the workflow id, a store key, a URL path segment and a file-name-like label in
 * exports, so it is kept to what is safe in all four: no spaces, slashes or control characters.
 */

export const SWEEP_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
export const SWEEP_ID_RULE = 'must be 1–128 letters, digits, ".", "_" or "-", starting with a letter or digit';

/** Throws a ConfigError naming `source` (e.g. "--id") when `id` is not a valid sweep id. */
export function checkSweepId(id: string, source: string): string {
  if (!SWEEP_ID_PATTERN.test(id)) throw new ConfigError(source, '', `${JSON.stringify(id.length > 140 ? `${id.slice(0, 140)}…` : id)} ${SWEEP_ID_RULE}`);
  return id;
}
