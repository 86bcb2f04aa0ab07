// The recompute thread's entry when sweeplab runs from its TypeScript sources
// (src/services/recompute.ts): tsx is registered inside the thread before the thread module loads, as for
// the backtest threads (src/activities/backtest-thread-source.mjs says why).
import { register } from 'tsx/esm/api';

register();
await import('./recompute-thread.ts');
