// The workflow bundle's entry point: every workflow the worker registers.
export { optimizationWorkflow } from './optimization.js';
export { sweepStatisticsWorkflow } from './statistics.js';
export { variantTestWorkflow } from './variant-test.js';
export { walkForwardWorkflow } from './walk-forward.js';
