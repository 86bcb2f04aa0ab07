import { loadPluginsStepwise } from '../intake/probe.js';
import { serveContainedJob } from '../user-plugins/containment.js';
import { computeOperation, type OperationJob } from './run-operation.js';

/*
 * The thread `sweeplab run-operation` runs an operation in when the workspace has plugin code
 * (src/cli/run-operation.ts): the plugin files loaded one by one, then the operation loaded,
 * checked and run, each step bounded by the job's seconds and named before it starts.
 */

await serveContainedJob((job: OperationJob, stage) => {
  const plugins = loadPluginsStepwise(job.bundle, job.seconds, stage, job.file);
  stage({ ...plugins.stage, doing: 'the operation was loaded, checked and run' });
  return computeOperation(job.file, { dataRoot: job.dataRoot, plugins, operationSeconds: job.seconds });
});
