import { ApplicationFailure } from '@temporalio/workflow';
import { runSweep } from './fan-out.js';
import type { SweepInput, SweepOutcome } from './types.js';

/** The seed's OptimizationService: every admissible combination of a parameter grid, ranked. */
export async function optimizationWorkflow(input: SweepInput): Promise<SweepOutcome> {
  if (input.spec.kind !== 'optimization') {
    throw ApplicationFailure.nonRetryable(`optimizationWorkflow needs an optimization spec, got "${input.spec.kind}"`);
  }
  return runSweep(input);
}
