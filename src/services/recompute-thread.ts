import { loadPluginsStepwise } from '../intake/probe.js';
import { userPluginsIn } from '../engine/plugins/registry.js';
import { pluginsWho, serveContainedJob } from '../user-plugins/containment.js';
import { withinSeconds } from '../user-plugins/time-limit.js';
import { computeTask, stepTimedOut, type RecomputeJob } from './recompute.js';

/*
 * The thread a stored sweep's plugin code runs in again outside its backtest slots
 * (src/services/recompute.ts): the plugin files loaded one by one, then each run bounded by the
 * sweep's max_operation_seconds and named, with the plugins it runs, before it starts, so a thread
 * that dies is named by it.
 */

await serveContainedJob((job: RecomputeJob, stage) => {
  const { task } = job;
  const plugins = loadPluginsStepwise(job.bundle, job.seconds, stage, task.spec.file);
  return computeTask(task, plugins.set, job.dataRoot, (doing, workforce, fn) => {
    // Named as a backtest slot names an operation's failure: by the user plugins it runs.
    const user = userPluginsIn(workforce, plugins.set);
    const who = pluginsWho(user.map((d) => d.name));
    stage({ file: user.length === 1 ? user[0]!.source!.file : task.spec.file, who, doing });
    const ran = withinSeconds(job.seconds, fn);
    if (!ran) throw stepTimedOut(task.spec.file, who, job.seconds, doing);
    return ran.value;
  });
});
