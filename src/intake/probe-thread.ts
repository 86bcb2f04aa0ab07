import { serveContainedJob } from '../user-plugins/containment.js';
import { loadPluginsStepwise, resolveSubmission, type ProbeJob } from './probe.js';

/*
 * The thread a submission's plugin code is first run in (src/intake/probe.ts): the plugin files are
 * loaded one by one, then the whole submission is loaded as the caller would load it, dry runs and
 * contract checks included. It says what it is doing before each step, so a thread that dies is
 * named by its step.
 */

await serveContainedJob((job: ProbeJob, stage) => {
  const plugins = loadPluginsStepwise(job.bundle, job.seconds, stage, job.opts.file);
  stage({ ...plugins.stage, doing: 'the submission was checked' });
  resolveSubmission(job.kind, job.doc, { ...job.opts, plugins });
  return null;
});
