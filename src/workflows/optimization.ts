import { ApplicationFailure, isCancellation, log, proxyActivities } from '@temporalio/workflow';
import type { createActivities } from '../activities/index.js';
import { runSweep } from './fan-out.js';
import type { SweepInput, SweepOutcome } from './types.js';

const { computeStatistics } = proxyActivities<ReturnType<typeof createActivities>>({
  summary: 'robustness statistics of the best row: DSR, PBO, neighbourhood, Monte Carlo',
  // One pass over the stored operations plus a bounded CSCV (docs/metrics.md, "How it scales").
  startToCloseTimeout: '2 hours',
  heartbeatTimeout: '2 minutes',
  retry: { maximumAttempts: 3 },
});

/**
 * The seed's OptimizationService: every admissible combination of a parameter grid, ranked; then
 * how far to trust the best row (robustness statistics, stored with the sweep). A failure of the
 * statistics is logged and leaves the completed sweep as it is: they can be computed again on demand.
 */
export async function optimizationWorkflow(input: SweepInput): Promise<SweepOutcome> {
  if (input.spec.kind !== 'optimization') {
    throw ApplicationFailure.nonRetryable(`optimizationWorkflow needs an optimization spec, got "${input.spec.kind}"`);
  }
  const outcome = await runSweep(input);
  try {
    await computeStatistics({ sweep_id: outcome.id });
  } catch (err) {
    if (isCancellation(err)) throw err;
    log.warn('robustness statistics failed; compute them on demand', { sweep_id: outcome.id, error: err instanceof Error ? err.message : String(err) });
  }
  return outcome;
}
