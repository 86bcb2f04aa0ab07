import { setTimeout as sleep } from 'node:timers/promises';
import type { WorkflowExecutionDescription } from '@temporalio/client';
import { decodeVersioningBehavior, type WorkerDeploymentVersion } from '@temporalio/common';
import type { NativeConnection, WorkerPlugin } from '@temporalio/worker';
import { codeVersion, type CodeVersion } from '../code-version.js';

/*
 * One build per sweep (docs/deploy.md, "One build per sweep"): every worker runs with Temporal's
 * Worker Versioning, as a version (its build id) of the worker deployment named after its task
 * queue, and pins the workflows it starts (PINNED): a sweep's workflow, its continue-as-new runs,
 * its child workflows and all their activities stay on the build that took its first task. A new
 * sweep goes to the deployment's current version, which a worker makes its own build as soon as it
 * polls: the build started last takes the new sweeps, while the sweeps pinned to an older build
 * finish on that build's workers.
 */

/** The worker deployment of a task queue. */
export function deploymentName(taskQueue: string): string {
  return taskQueue;
}

export function deploymentVersion(taskQueue: string, code: CodeVersion = codeVersion()): WorkerDeploymentVersion {
  return { deploymentName: deploymentName(taskQueue), buildId: code.build_id };
}

/** How long a worker keeps trying to become the current version before it gives up (and says so). */
const PROMOTE_WITHIN_MS = 60_000;
const RETRY_MS = 200;

/**
 * The worker side of it, as a worker plugin: it sets the worker's deployment options (a version of
 * the task queue's deployment, workflows PINNED by default), and while the worker runs, makes its
 * version the deployment's current one once the server has seen it poll.
 */
export function workerDeploymentPlugin(opts: { connection: NativeConnection; namespace: string; taskQueue: string; code?: CodeVersion }): WorkerPlugin {
  const version = deploymentVersion(opts.taskQueue, opts.code);
  return {
    name: 'sweeplab-worker-deployment',
    configureWorker: (options) => ({ ...options, workerDeploymentOptions: { useWorkerVersioning: true, version, defaultVersioningBehavior: 'PINNED' } }),
    async runWorker(worker, next) {
      const stop = new AbortController();
      const promoted = makeCurrentVersion(opts.connection, opts.namespace, version, stop.signal).catch((error: unknown) => {
        console.error(`sweeplab worker: could not make build "${version.buildId}" the current version of deployment "${version.deploymentName}": ${error instanceof Error ? error.message : String(error)}; new sweeps go to the current version`);
      });
      try {
        await next(worker);
      } finally {
        stop.abort();
        await promoted;
      }
    },
  };
}

/**
 * Makes `version` the current version of its deployment, unless it is already. The server knows a
 * version only once one of its workers has polled, so this retries until then (up to a minute);
 * `signal` ends it early (the worker stopped).
 */
export async function makeCurrentVersion(connection: NativeConnection, namespace: string, version: WorkerDeploymentVersion, signal: AbortSignal): Promise<void> {
  const deadline = Date.now() + PROMOTE_WITHIN_MS;
  for (;;) {
    try {
      if ((await currentBuildId(connection, namespace, version.deploymentName)) === version.buildId) return;
      await connection.workflowService.setWorkerDeploymentCurrentVersion({ namespace, deploymentName: version.deploymentName, buildId: version.buildId, identity: `sweeplab worker ${process.pid}` });
      return;
    } catch (error) {
      if (!isNotYet(error) || Date.now() > deadline) throw error;
    }
    try {
      await sleep(RETRY_MS, undefined, { signal });
    } catch {
      return;
    }
  }
}

/** The build id of the deployment's current version; null when it has none or does not exist yet. */
export async function currentBuildId(connection: { workflowService: NativeConnection['workflowService'] }, namespace: string, deploymentName: string): Promise<string | null> {
  try {
    const { workerDeploymentInfo } = await connection.workflowService.describeWorkerDeployment({ namespace, deploymentName });
    return workerDeploymentInfo?.routingConfig?.currentDeploymentVersion?.buildId || null;
  } catch (error) {
    if (isNotYet(error)) return null;
    throw error;
  }
}

/** The build a workflow run is pinned to, by its worker or by an override at start; null when it is not pinned. */
export function pinnedBuildId(description: WorkflowExecutionDescription): string | null {
  const info = description.raw.workflowExecutionInfo?.versioningInfo;
  const override = info?.versioningOverride?.pinned?.version?.buildId;
  if (override) return override;
  return decodeVersioningBehavior(info?.behavior) === 'PINNED' ? (info?.deploymentVersion?.buildId ?? null) : null;
}

/** The errors of a version or deployment the server has not seen poll yet (or a concurrent change by another worker). */
function isNotYet(error: unknown): boolean {
  return NOT_YET_CODES.has((error as { code?: number }).code ?? -1);
}

/** gRPC status codes NOT_FOUND, FAILED_PRECONDITION and ABORTED. */
const NOT_YET_CODES = new Set([5, 9, 10]);
