import { loadPluginsStepwise } from '../config/probe.js';
import { serveContainedJob } from '../user-plugins/containment.js';
import { withinSeconds } from '../user-plugins/time-limit.js';
import { computeTask, stepTimedOut, type RecomputeJob } from './recompute.js';

/*
 * The thread a stored sweep's plugin code runs in again outside its backtest slots
 * (src/activities/recompute.ts): the plugin files loaded one by one, then each run bounded by the
 * sweep's max_operation_seconds and named before it starts, so a thread that dies is named by it.
 */

await serveContainedJob((job: RecomputeJob, stage) => {
  const { task } = job;
  const plugins = loadPluginsStepwise(job.bundle, job.seconds, stage, task.spec.file);
  return computeTask(task, plugins.set, job.dataRoot, (doing, fn) => {
    stage({ ...plugins.stage, doing });
    const ran = withinSeconds(job.seconds, fn);
    if (!ran) throw stepTimedOut(task.spec.file, plugins.stage.who, job.seconds, doing);
    return ran.value;
  });
});
