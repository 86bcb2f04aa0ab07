// `npm run build:workflows`: bundles the workflow code once, ahead of time, for production workers
// (SWEEPLAB_WORKFLOW_BUNDLE=dist/workflow-bundle.js); without it each worker bundles at start-up.
import fs from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { workflowsPath } from '../worker.js';

const out = path.resolve(process.argv[2] ?? 'dist/workflow-bundle.js');
const { code } = await bundleWorkflowCode({ workflowsPath: workflowsPath() });
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.writeFileSync(out, code);
console.log(`workflow bundle: ${out} (${(code.length / 1024).toFixed(0)} KiB)`);
