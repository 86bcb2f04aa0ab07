/*
 * Worker categories and their phases: the vocabulary of a workforce, in a module of its own with no
 * imports, so the plugin runtime that runs inside each user plugin's realm (src/user-plugins/guest.ts)
 * can name the phases without loading every config schema.
 */

/** Worker categories and the phases inside each, in execution order. */
export const PHASES = {
  context_workers: ['regime_context', 'structural_context'],
  analysis_workers: ['signal_generation', 'signal_refinement', 'entry_planning', 'exit_planning', 'size_planning'],
} as const;
export type WorkerCategory = keyof typeof PHASES;
export type Phase = (typeof PHASES)[WorkerCategory][number];
export const WORKER_CATEGORIES = Object.keys(PHASES) as WorkerCategory[];
