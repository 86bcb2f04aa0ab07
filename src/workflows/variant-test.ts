import { ApplicationFailure } from '@temporalio/workflow';
import { runSweep } from './fan-out.js';
import type { SweepInput, SweepOutcome } from './types.js';

/** The variant test: a few named variants of one blueprint, head to head. */
export async function variantTestWorkflow(input: SweepInput): Promise<SweepOutcome> {
  if (input.spec.kind !== 'variant_test') {
    throw ApplicationFailure.nonRetryable(`variantTestWorkflow needs a variant_test spec, got "${input.spec.kind}"`);
  }
  return runSweep(input);
}
