import type { Store } from '../store/types.js';
import type { BacktestPool } from './pool.js';

/* What the worker hands its activities, in a module of its own so the activity modules need not import their index. */

export interface ActivityDeps {
  store: Store;
  pool: BacktestPool;
  dataRoot: string;
  /** Called with engine executions as their results are stored (tests and drills count them). */
  onExecuted?: (count: number) => void;
}
