import { BUILTIN_PLUGINS } from '../engine/plugins/registry.js';
import { bundleText, type BundledFile } from '../user-plugins/bundle.js';
import { pluginsWho, serveContainedJob } from '../user-plugins/containment.js';
import { pluginSetFromBundle } from '../user-plugins/index.js';
import { withinSeconds } from '../user-plugins/time-limit.js';
import { ConfigError } from './errors.js';
import type { ProbeJob } from './probe.js';
import { resolveSubmission } from './probe.js';

/*
 * The thread a submission's plugin code is first run in (src/config/probe.ts): each plugin file is
 * loaded on its own within max_operation_seconds, so a file whose top level never returns is named,
 * then the whole submission is loaded as the caller would load it, dry runs and contract checks
 * included. It says what it is doing before each step, so a thread that dies is named by its step.
 */

await serveContainedJob((job: ProbeJob, stage) => {
  const { files } = JSON.parse(job.bundle.text) as { files: BundledFile[] };
  for (const file of files) {
    stage({ file: file.file, who: 'its code', doing: 'it was loaded' });
    if (!withinSeconds(job.seconds, () => pluginSetFromBundle(bundleText([file])))) {
      throw new ConfigError(file.file, '', `did not finish loading within ${job.seconds} s (parallel_config.max_operation_seconds); does code at its top level never return?`);
    }
  }
  const set = pluginSetFromBundle(job.bundle);
  const names = [...set.byName.values()].filter((d) => !BUILTIN_PLUGINS.byName.has(d.name)).map((d) => d.name);
  stage({ file: files.length === 1 ? files[0]!.file : job.opts.file, who: pluginsWho(names), doing: 'the submission was checked' });
  resolveSubmission(job.kind, job.doc, { ...job.opts, plugins: { set, bundle: job.bundle } });
  return null;
});
