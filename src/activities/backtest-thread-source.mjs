// The pool threads' entry when sweeplab runs from its TypeScript sources (src/activities/pool.ts):
// tsx is registered here, inside the thread, before the thread module loads. Passing tsx's flags in
// the thread's execArgv instead leaves a race in which the thread module can load before tsx's hooks
// (then Node refuses the .ts file).
import { register } from 'tsx/esm/api';

register();
const thread = await import('./backtest-thread.ts');

export const hashOperations = thread.hashOperations;
export const runOperations = thread.runOperations;
