/**
 * "Did you mean" hints for misspelt names (plugins, params, expression identifiers).
 * Pure: no Node imports, so workflow code can use it through src/config/expression.ts.
 */

/** Levenshtein edit distance (insert, delete, substitute: each costs 1). */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length];
}

/**
 * `; did you mean "x"?` for the closest candidate within 3 edits (case-insensitive), else ''.
 * Three edits catch the usual typos (`sma_crss`, `risk_reward`) without proposing unrelated names
 * for very short inputs: a candidate must also be closer than the input is long.
 */
export function didYouMean(name: string, candidates: Iterable<string>): string {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const distance = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best !== undefined && bestDistance <= 3 && bestDistance < name.length ? `; did you mean "${best}"?` : '';
}
