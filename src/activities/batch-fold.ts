import type { SweepSpec } from '../config/sweep.js';
import type { BatchOutcome, OperationSummary } from '../workflows/types.js';

/** Failures a batch reports with their message; the rest are only counted (the workflow keeps ten). */
const FAILURES_REPORTED = 10;

/**
 * Folds a batch's operations into what the workflow needs of them (BatchOutcome): counts, the best
 * `k` that rank (primary metric defined, at least min_trades closed trades; best first, ties by
 * lower idx, as the workflow ranks) and the first failures with distinct messages.
 */
export class BatchFold {
  #done = 0;
  #failed = 0;
  #reused = 0;
  #best: OperationSummary[] = [];
  #failures: OperationSummary[] = [];

  constructor(
    readonly spec: SweepSpec,
    readonly k: number,
  ) {}

  add(summary: OperationSummary): void {
    if (summary.status === 'failed') {
      this.#failed++;
      if (this.#failures.length < FAILURES_REPORTED && !this.#failures.some((f) => f.error === summary.error)) this.#failures.push(summary);
      return;
    }
    this.#done++;
    if (summary.reused) this.#reused++;
    if (summary.value !== null && (summary.total_trades ?? 0) >= this.spec.min_trades) this.#best.push(summary);
    // Trimmed now and then, so a large batch holds O(k) summaries, not one per operation.
    if (this.#best.length >= 4 * this.k + 64) this.#best = top(this.#best, this.k);
  }

  outcome(): BatchOutcome {
    return { summaries: [...top(this.#best, this.k), ...this.#failures], done: this.#done, failed: this.#failed, reused: this.#reused };
  }
}

function top(summaries: OperationSummary[], k: number): OperationSummary[] {
  return summaries.sort((a, b) => b.value! - a.value! || a.idx - b.idx).slice(0, k);
}
