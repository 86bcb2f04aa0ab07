// run-operation's thread entry when sweeplab runs from its TypeScript sources (src/cli/run-operation.ts):
// tsx is registered inside the thread before the thread module loads, as for the backtest threads
// (src/activities/backtest-thread-source.mjs says why).
import { register } from 'tsx/esm/api';

register();
await import('./run-operation-thread.ts');
