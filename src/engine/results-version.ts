/**
 * The results version: which results this code computes for a given operation. It is part of every
 * operation's hash (src/config/hash.ts), so a stored row is reused only by code that would compute the
 * same numbers, and every stored row records it (docs/store.md, "Code versions").
 *
 * Bump it (by one) with any change that alters any stored metric, curve, trade or block of any
 * operation: a fill or fee rule, an indicator, a built-in plugin's logic or default, a metric's
 * formula, the block returns, how bars are read. Keep it for a change that alters no result (a
 * refactor, a faster loop, a new plugin or metric that old operations do not use), so stores stay
 * reusable. The golden results test (test/engine/golden-results.test.ts) fails when a pinned metric
 * moves while this number stays; regenerate its fixture after a bump with
 * `SWEEPLAB_UPDATE_GOLDEN=1 node scripts/test.mjs test/engine/golden-results`.
 */
export const RESULTS_VERSION = 1;
