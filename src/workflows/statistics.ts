import { proxyActivities } from '@temporalio/workflow';
import type { createActivities } from '../activities/index.js';

export const { computeStatistics } = proxyActivities<ReturnType<typeof createActivities>>({
  summary: 'robustness statistics of the best row: DSR, PBO, neighbourhood, Monte Carlo',
  // One pass over the stored operations plus a bounded CSCV (docs/metrics.md, "How it scales").
  startToCloseTimeout: '2 hours',
  heartbeatTimeout: '2 minutes',
  retry: { maximumAttempts: 3 },
});

/**
 * A completed optimization's robustness statistics, computed after the sweep has completed rather
 * than inside it: a sweep is done when its last operation is stored, and a few seconds of CSCV over
 * its block returns must not hold up the results (nor a resume that reuses every stored operation).
 * The optimization starts this as an abandoned child; the statistics are stored with the sweep.
 */
export async function sweepStatisticsWorkflow(input: { sweep_id: string }): Promise<{ pbo: number | null; dsr: number | null }> {
  return computeStatistics(input);
}
