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
      if (item !== undefined) setOwn(out, key, cloneJson(item));
    }
    return out as T;
  }
  return value;
}

/**
 * `target[key] = value` as an own data property, whatever the key: plain assignment to
 * `__proto__` would replace the object's prototype instead (a user document may name any key).
 */
export function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
}

/** How deep a user document (YAML or JSON) may nest: far beyond any real file, far below the stack. */
export const MAX_DOCUMENT_DEPTH = 64;

/**
 * Why a parsed user document must not be used, or null. Walked with an explicit stack, so a
 * document nested 20,000 deep is measured, not recursed into: it may nest at most
 * MAX_DOCUMENT_DEPTH levels, no key may be `__proto__`, which code that copies or merges the
 * document by assignment would take for the object's prototype, and every number is finite.
 */
export function documentProblem(doc: unknown): { path: Array<string | number>; reason: string } | null {
  interface Node { value: unknown; depth: number; key: string | number | null; parent: Node | null }
  const pathOf = (node: Node): Array<string | number> => {
    const path: Array<string | number> = [];
    for (let n: Node | null = node; n && n.key !== null; n = n.parent) path.unshift(n.key);
    return path;
  };
  const stack: Node[] = [{ value: doc, depth: 0, key: null, parent: null }];
  while (stack.length > 0) {
    const node = stack.pop()!;
    const { value, depth } = node;
    // Infinity comes from YAML's .inf or a JSON number beyond ±1.8e308, NaN from .nan: no field takes them.
    if (typeof value === 'number' && !Number.isFinite(value)) {
      const reason = Number.isNaN(value) ? 'is NaN (.nan), not a number' : `is ${value}: a number out of range (beyond ±1.8e308, or .inf); write a finite number`;
      return { path: pathOf(node), reason };
    }
    if (typeof value !== 'object' || value === null) continue;
    if (depth >= MAX_DOCUMENT_DEPTH) return { path: [], reason: `nests deeper than ${MAX_DOCUMENT_DEPTH} levels` };
    if (Array.isArray(value)) {
      value.forEach((item, i) => stack.push({ value: item, depth: depth + 1, key: i, parent: node }));
      continue;
    }
    for (const key of Object.keys(value)) {
      const child: Node = { value: (value as Record<string, unknown>)[key], depth: depth + 1, key, parent: node };
      if (key === '__proto__') return { path: pathOf(child), reason: "is not allowed as a key (it names an object's prototype)" };
      stack.push(child);
    }
  }
  return null;
}
