/*
 * Seeded randomness for the synthetic generator: the same seed gives the same numbers (integer
 * state, no Math.random; V8's Math.log/sin/cos are its own fdlibm ports, the same on every platform).
 */

/**
 * mulberry32: a 32-bit-state generator, uniform in [0, 1). Small and fast; its period (2^32) is far
 * beyond the few numbers per bar the generator draws.
 * @see https://gist.github.com/tommyettinger/46a874533244883189143505d203312c
 */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Standard normal draws by the Box–Muller transform, two per pair of uniforms (the second is kept
 * for the next call). `1 - u` keeps the logarithm's argument in (0, 1].
 * @see https://en.wikipedia.org/wiki/Box%E2%80%93Muller_transform
 */
export function normalSource(uniform: () => number): () => number {
  let spare: number | null = null;
  return () => {
    if (spare !== null) {
      const z = spare;
      spare = null;
      return z;
    }
    const radius = Math.sqrt(-2 * Math.log(1 - uniform()));
    const angle = 2 * Math.PI * uniform();
    spare = radius * Math.sin(angle);
    return radius * Math.cos(angle);
  };
}
