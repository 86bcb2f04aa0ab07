// The unisolated backtest thread's entry from the TypeScript sources: tsx is registered inside the
// thread first, as src/activities/backtest-thread-source.mjs explains.
import { register } from 'tsx/esm/api';

register();
const thread = await import('./unisolated-thread.ts');

export const hashOperations = thread.hashOperations;
export const runOperations = thread.runOperations;
