import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createApp } from '../../src/api/app.js';
import { startStack, type Stack } from '../helpers/stack.js';

/**
 * The real stack for a plugin workspace: the worker's data root is a "remote host" holding only the
 * workspace's data (never its plugins folder), so plugin code can reach the worker only through the
 * store; the API submits from the workspace itself.
 */
export interface RemoteStack {
  stack: Stack;
  app: ReturnType<typeof createApp>;
  /** The worker's data root. */
  remote: string;
  /** Stops the stack and deletes the workspace and the remote data root. */
  stop(): Promise<void>;
}

export async function startRemoteStack(workspace: string): Promise<RemoteStack> {
  const remote = fs.mkdtempSync(path.join(os.tmpdir(), 'sweeplab-remote-'));
  fs.cpSync(path.join(workspace, 'data'), path.join(remote, 'data'), { recursive: true });
  const stack = await startStack({ concurrency: 2, dataRoot: remote });
  const app = createApp({ sweeps: stack.sweeps, store: stack.store, dataRoot: workspace, namespace: stack.temporal.namespace });
  return {
    stack,
    app,
    remote,
    async stop() {
      await stack.stop();
      for (const dir of [workspace, remote]) fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
