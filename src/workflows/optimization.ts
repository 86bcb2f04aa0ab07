import {
  ApplicationFailure,
  isCancellation,
  log,
  ParentClosePolicy,
  patched,
  startChild,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { runSweep } from './fan-out.js';
import { computeStatistics, sweepStatisticsWorkflow } from './statistics.js';
import { statisticsWorkflowId, type SweepInput, type SweepOutcome } from './types.js';

/**
 * The optimization: every admissible combination of a parameter grid, ranked; then
 * how far to trust the best row (robustness statistics, stored with the sweep). The statistics run
 * in a workflow of their own that outlives this one, so the sweep completes as soon as its last
 * operation is stored; a failure there leaves the sweep as it is (they can be computed on demand).
 */
export async function optimizationWorkflow(input: SweepInput): Promise<SweepOutcome> {
  if (input.spec.kind !== 'optimization') {
    throw ApplicationFailure.nonRetryable(`optimizationWorkflow needs an optimization spec, got "${input.spec.kind}"`);
  }
  const outcome = await runSweep(input);
  if (input.options?.statistics === false) return outcome;
  if (patched('statistics-after-completion')) {
    try {
      await startChild(sweepStatisticsWorkflow, {
        workflowId: statisticsWorkflowId(outcome.id),
        args: [{ sweep_id: outcome.id }],
        parentClosePolicy: ParentClosePolicy.ABANDON,
        staticSummary: `robustness statistics of ${outcome.id}`,
      });
    } catch (err) {
      // A resumed sweep completing again while its earlier statistics still run: those will do.
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
    return outcome;
  }
  // Sweeps started before statistics moved out computed them here, before completing.
  try {
    await computeStatistics({ sweep_id: outcome.id });
  } catch (err) {
    if (isCancellation(err)) throw err;
    log.warn('robustness statistics failed; compute them on demand', { sweep_id: outcome.id, error: err instanceof Error ? err.message : String(err) });
  }
  return outcome;
}
