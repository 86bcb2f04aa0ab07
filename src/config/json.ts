/**
 * Helpers for the plain-JSON values that cross the workflow boundary. Pure (no Node imports):
 * Temporal's workflow sandbox does not promise `structuredClone`.
 */

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * A deep copy of JSON-like data that drops `undefined` object members (as JSON does), so the copy
 * can be serialized, hashed and compared without surprises. YAML aliases come back from the parser
 * as shared objects; copying also un-shares them before anything is mutated.
 */
export function cloneJson<T>(value: T): T {
  if (Array.isArray(value)) return value.map((item) => cloneJson(item)) as T;
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      if (item !== undefined) out[key] = cloneJson(item);
    }
    return out as T;
  }
  return value;
}
