import { randomBytes } from 'node:crypto';
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client, type WorkflowExecutionDescription, type WorkflowHandle, type WorkflowIdReusePolicy } from '@temporalio/client';
import { codeVersion, resultsVersionOfBuild } from '../code-version.js';
import { ConfigError, ConflictError, DataError, NotFoundError } from '../config/errors.js';
import { rankedFilter } from '../services/results-query.js';
import { operationCount, paramNames, type SweepSpec } from '../config/sweep.js';
import { windowOf, windowSweepId, type WalkForwardSpec } from '../config/walk-forward-spec.js';
import type { PluginBundle } from '../user-plugins/bundle.js';
import type { MetricName } from '../engine/result.js';
import type { Store, SweepKind, SweepRow, SweepStatus } from '../store/types.js';
import { asTemporalUnreachable, askTemporal, clientAddress, TemporalUnreachable } from '../temporal/connection.js';
import { sweepKindKey, sweepNameKey, sweepStatusKey, sweepTotalKey } from '../temporal/search-attributes.js';
import { currentBuildId, deploymentName, pinnedBuildId } from '../temporal/worker-deployment.js';
import { optimizationWorkflow } from '../workflows/optimization.js';
import { rateAndEta, sweepPageUrl, sweepStaticMetadata } from '../workflows/details.js';
import { pauseSignal, progressQuery, resumeSignal, type SweepOptions, type SweepProgress } from '../workflows/types.js';
import { variantTestWorkflow } from '../workflows/variant-test.js';
import { walkForwardWorkflow } from '../workflows/walk-forward.js';
import { walkForwardStaticMetadata } from '../workflows/walk-forward-details.js';
import { checkSweepId, SWEEP_ID_PATTERN, SWEEP_ID_RULE } from './sweep-id.js';

/*
 * What the CLI and the API do with sweeps, in one place: submit, look, pause, resume, cancel.
 * The workflow is the truth while it runs (its progress query); the store is the truth after.
 */

/** What a user sees of a sweep, running or closed. */
export interface SweepView {
  id: string;
  kind: SweepKind;
  name: string;
  status: SweepStatus;
  total: number;
  done: number;
  failed: number;
  running: number;
  /** Operations finished per second since the sweep (run) started; null before the first. */
  rate: number | null;
  /** Seconds left at the current rate; null when unknown or finished. */
  eta_s: number | null;
  primary_metric: string;
  best: SweepProgress['best'];
  errors: string[];
  /** The live workflow progress when the workflow is open. */
  progress: SweepProgress | null;
  workflow_status: string | null;
  temporal: TemporalState;
  /**
   * Why an open sweep's figures are the results store's rather than its workflow's, said as a fact
   * ("live figures unavailable: …; counts from the results store"); null when they are live or the
   * sweep is over (then the store is the truth).
   */
  note: string | null;
}

/**
 * Whether Temporal answered for this view: "ok"; "unreachable", so status and counts are the results
 * store's; "not_asked", a sweep the store has as closed, listed from its row alone.
 */
export type TemporalState = 'ok' | 'unreachable' | 'not_asked';

/**
 * What `resume` does about code when the sweep was run by another build than the one it will carry
 * on with (docs/deploy.md, "Upgrades"): it continues on the new build, and of its stored rows
 * keeps those of the new build's results version; the others are computed again.
 */
export interface CodeChange {
  /** The builds that computed its stored rows or that its open run is pinned to ("unknown" for rows stored before builds were recorded). */
  from: string[];
  /** The build it carries on with: the current version of the task queue's worker deployment (without one, this process's build). */
  to: string;
  /** The results version of that build. */
  results_version: number;
  /** Stored rows of that results version, reused. */
  kept: number;
  /** Stored rows of another results version, computed again. */
  recomputed: number;
  /** Whether an open run pinned to another build was terminated to start it again on `to`. */
  moved: boolean;
  /** The above in one sentence, for the CLI and the API. */
  message: string;
}

const ID_PREFIX: Record<SweepKind, string> = { optimization: 'opt', variant_test: 'var', walk_forward: 'wf' };

/** What a sweep id can be started from: a sweep's spec, or a walk-forward's (whose windows are sweeps). */
export type SubmittableSpec = SweepSpec | WalkForwardSpec;

const WORKFLOWS = { optimization: optimizationWorkflow, variant_test: variantTestWorkflow, walk_forward: walkForwardWorkflow } as const;

/** The API's public base URL: SWEEPLAB_PUBLIC_URL, or the address `sweeplab up` serves by default. */
export function publicUrlFromEnv(): string {
  return process.env.SWEEPLAB_PUBLIC_URL ?? 'http://127.0.0.1:8787';
}

export function newSweepId(kind: SweepKind): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
  return `${ID_PREFIX[kind]}-${stamp}-${randomBytes(3).toString('hex')}`;
}

/**
 * How long a sweep's view is shared between callers. Each live view is a workflow query (a workflow
 * task on a worker); fifty browsers polling one sweep should cost one query per interval, not fifty.
 */
const VIEW_TTL_MS = 250;
/** How long a view waits for the workflow's progress query before answering from the store. */
const PROGRESS_QUERY_MS = 500;
/**
 * How long a view waits for Temporal to describe the sweep before answering from the store as
 * "unreachable". Temporal answers a describe in milliseconds when it is up; a status must still
 * answer within a second when it is not.
 */
const DESCRIBE_MS = 700;
/** The bound on each Temporal call of submit, pause, resume and cancel, past which they fail as unreachable (503). */
const CONTROL_MS = 3_000;

export class Sweeps {
  readonly #views = new Map<string, { at: number; view: Promise<SweepView> }>();

  constructor(
    readonly client: Client,
    readonly store: Store,
    readonly taskQueue: string,
    /** Where the API serves the page, for the link in each sweep's Temporal UI details. */
    readonly publicUrl: string = publicUrlFromEnv(),
  ) {}

  /**
   * Starts a new sweep; its id is the workflow id. An id that names any sweep already — running or
   * closed, in Temporal or only in the store — is refused: its rows are keyed by that id, so a
   * second sweep under it would merge two sweeps' results. Continuing one is `resume`'s job.
   * A sweep that runs user plugin code stores its bundle first (`bundle`, from loading), so every
   * worker can fetch it; without one, the bundle must be in the store already.
   */
  async submit(spec: SubmittableSpec, opts: { id?: string; options?: SweepOptions; bundle?: PluginBundle | null } = {}): Promise<{ id: string; runId: string }> {
    const id = opts.id === undefined ? newSweepId(spec.kind) : checkSweepId(opts.id, 'id');
    const [row, description] = await Promise.all([this.store.getSweep(id), this.describe(id)]);
    if (row || description) throw new SweepIdTaken(id, row, description);
    await this.#refuseWindowClash(spec, id);
    // A walk-forward runs its optimization's code.
    await this.#storeBundle(spec.kind === 'walk_forward' ? spec.optimization : spec, opts.bundle ?? null);
    const started = await this.#start(spec, id, opts.options, 'REJECT_DUPLICATE');
    // In the store at once, so lists show the sweep before a worker has picked it up; the
    // workflow's own start record finds this same row and carries on.
    const counts =
      spec.kind === 'walk_forward'
        ? { total: spec.windows.length, primary_metric: spec.optimization.primary_metric, param_names: paramNames(spec.optimization) }
        : { total: operationCount(spec), primary_metric: spec.primary_metric, param_names: paramNames(spec) };
    await this.store.createSweep({ id, kind: spec.kind, name: spec.name, spec, ...counts });
    return started;
  }

  /**
   * Window k of a walk-forward runs as sweep `<id>-w<k>`, started by the walk-forward's workflow when
   * the window comes up, so those ids are reserved from the walk-forward's submission on: a sweep may
   * not take one, and a walk-forward may not be submitted when one of its windows' ids is taken.
   */
  async #refuseWindowClash(spec: SubmittableSpec, id: string): Promise<void> {
    const window = windowOf(id);
    const owner = window && (await this.store.getSweep(window.walkForwardId));
    if (window && owner && owner.spec.kind === 'walk_forward' && window.k <= owner.spec.windows.length) {
      throw new ConflictError('id', '', `"${id}" is reserved: it is the id of window ${window.k} of walk-forward "${owner.id}" ("${owner.name}"); a new sweep needs an id of its own`);
    }
    if (spec.kind !== 'walk_forward') return;
    const ids = spec.windows.map((w) => windowSweepId(id, w.k));
    const last = ids.at(-1)!;
    if (!SWEEP_ID_PATTERN.test(last)) throw new ConfigError('id', '', `"${id}" is too long for a walk-forward: its last window runs as sweep "${last}", and a sweep id ${SWEEP_ID_RULE}`);
    const rows = await Promise.all(ids.map((windowId) => this.store.getSweep(windowId)));
    const taken = rows.find((r) => r !== null);
    if (taken) {
      const k = rows.indexOf(taken) + 1;
      throw new ConflictError('id', '', `"${id}" cannot be this walk-forward's id: its window ${k} would run as sweep "${taken.id}", which is already the id of a sweep (${taken.kind.replace('_', ' ')} "${taken.name}", ${taken.status}); choose another id`);
    }
  }

  async #start(spec: SubmittableSpec, id: string, options: SweepOptions | undefined, reuse: WorkflowIdReusePolicy): Promise<{ id: string; runId: string }> {
    try {
      const handle = await this.client.workflow.start(WORKFLOWS[spec.kind] as (input: { spec: SubmittableSpec; options?: SweepOptions }) => Promise<unknown>, {
        workflowId: id,
        taskQueue: this.taskQueue,
        args: [{ spec, options }],
        workflowIdReusePolicy: reuse,
        typedSearchAttributes: [
          { key: sweepKindKey, value: spec.kind },
          { key: sweepNameKey, value: spec.name },
          { key: sweepStatusKey, value: 'running' },
          { key: sweepTotalKey, value: 0 },
        ],
        memo: { kind: spec.kind, name: spec.name },
        ...(spec.kind === 'walk_forward' ? walkForwardStaticMetadata(spec, sweepPageUrl(this.publicUrl, id)) : sweepStaticMetadata(spec, sweepPageUrl(this.publicUrl, id))),
      });
      return { id, runId: handle.firstExecutionRunId };
    } catch (err) {
      // Another client started a sweep under this id between our check and the start.
      if (err instanceof WorkflowExecutionAlreadyStartedError) throw new SweepIdTaken(id, null, null);
      throw err;
    }
  }

  async #storeBundle(spec: SweepSpec, bundle: PluginBundle | null): Promise<void> {
    const hash = spec.plugin_bundle;
    if (!hash) return;
    if (bundle && bundle.hash !== hash) throw new Error(`submit: the sweep names plugin bundle ${hash}, but bundle ${bundle.hash} was given`);
    if (bundle) await this.store.savePluginBundle(bundle);
    else if ((await this.store.getPluginBundle(hash)) === null) {
      throw new DataError('sweep', 'plugin_bundle', `names plugin code "${hash}" that is not in the results store; submit it from its workspace again`);
    }
  }

  /** The sweep as a user sees it now (at most VIEW_TTL_MS old). */
  view(id: string): Promise<SweepView> {
    const cached = this.#views.get(id);
    if (cached && performance.now() - cached.at < VIEW_TTL_MS) return cached.view;
    const view = this.#freshView(id);
    this.#views.set(id, { at: performance.now(), view });
    view.catch(() => this.#views.delete(id));
    if (this.#views.size > 1_000) this.#views.delete(this.#views.keys().next().value!);
    return view;
  }

  async #freshView(id: string): Promise<SweepView> {
    const [described, stored] = await Promise.allSettled([this.describe(id, DESCRIBE_MS), this.store.getSweep(id)]);
    if (stored.status === 'rejected') throw stored.reason;
    const row = stored.value;
    if (described.status === 'rejected') {
      // Temporal away: the store's view, saying so. An id only Temporal could know (a sweep submitted
      // a moment ago) cannot be told from an unknown one then, so it stays TemporalUnreachable (503).
      const away = described.reason;
      if (!(away instanceof TemporalUnreachable) || !row) throw away;
      const where = away.address ? ` at ${away.address}` : '';
      return this.#countedView(id, row, null, 'unreachable', `live figures unavailable: Temporal${where} is unreachable (${away.reason}); status and counts from the results store`);
    }
    const description = described.value;
    if (!description && !row) throw new SweepNotFound(id);
    const open = description?.status.name === 'RUNNING';
    if (open) {
      try {
        // A query is answered by a worker; with none polling (or the one that had the sweep just
        // killed) Temporal holds it for up to its own timeout of ~30 s, so the wait is ours to bound.
        const progress = await this.client.withDeadline(Date.now() + PROGRESS_QUERY_MS, () => this.client.workflow.getHandle(id).query(progressQuery));
        return viewFromProgress(progress, description!.status.name);
      } catch {
        // Temporal's description says whether the sweep is paused; the store knows what is done.
        const note = `live figures unavailable: no worker answered the progress query within ${PROGRESS_QUERY_MS / 1000} s (is one polling task queue "${this.taskQueue}"?); counts from the results store`;
        return this.#countedView(id, row, description, 'ok', note);
      }
    }
    return this.storedView(id, row, description, 'ok');
  }

  /**
   * An open sweep from the store when its workflow cannot say: a walk-forward counts its windows as
   * they are stored, a sweep's counts are recounted here (the store refreshes them only at the end).
   */
  async #countedView(id: string, row: SweepRow | null, description: WorkflowExecutionDescription | null, temporal: TemporalState, note: string): Promise<SweepView> {
    const counted = row && row.kind !== 'walk_forward' ? (await this.store.refreshSweepCounts(id), await this.store.getSweep(id)) : row;
    return { ...(await this.storedView(id, counted, description, temporal)), note };
  }

  /**
   * A sweep as the store (and, when given, Temporal's description) knows it: no query, so it is what
   * lists use for sweeps that are over. The best operation comes from the stored ranking.
   */
  async storedView(id: string, row: SweepRow | null, description: WorkflowExecutionDescription | null = null, temporal: TemporalState = 'not_asked'): Promise<SweepView> {
    const view = viewFromStore(id, row, description, temporal);
    // A walk-forward has no ranking of its own: its figures are its windows' (src/client/walk-forwards.ts).
    if (!row || row.kind === 'walk_forward') return view;
    const metric = row.primary_metric as MetricName;
    const [top] = (await this.store.queryResults(id, { sort: metric, order: 'desc', limit: 1, filter: rankedFilter(row.spec) })).rows;
    const value = top?.metrics?.[metric];
    if (!top || value === null || value === undefined) return view;
    return { ...view, best: { idx: top.idx, hash: top.hash, params: top.params, value, total_trades: top.metrics?.total_trades ?? null } };
  }

  async pause(id: string): Promise<SweepView> {
    await this.requireOpen(id, 'pause');
    await this.#control(id, 'pause', (handle) => handle.signal(pauseSignal));
    this.#views.delete(id);
    const view = await this.view(id);
    // The signal is in the sweep's history: it is paused, even when a busy worker has not handled it
    // yet and the counts come from the store, whose status still says running.
    return view.status === 'running' ? { ...view, status: 'paused' } : view;
  }

  async cancel(id: string): Promise<SweepView> {
    await this.requireOpen(id, 'cancel');
    await this.#control(id, 'cancel', (handle) => handle.cancel());
    // Temporal also accepts the cancellation of a workflow that closed a moment ago, to no effect.
    const after = await this.describe(id);
    if (after && after.status.name !== 'RUNNING' && after.status.name !== 'CANCELLED') throw notRunning(id, after, 'cancel');
    this.#views.delete(id);
    return this.view(id);
  }

  /**
   * A paused sweep carries on; a cancelled, failed or terminated one starts again under the same id
   * from its stored spec, and every operation already stored is reused instead of recomputed. A
   * sweep of another build (docs/deploy.md, "Upgrades") continues on the current build: an open run
   * pinned to another build is terminated and started again, and of its stored rows only those of
   * the current build's results version are reused; `code_change` says so.
   */
  async resume(id: string, options?: SweepOptions): Promise<SweepView & { restarted: boolean; code_change: CodeChange | null }> {
    const description = await this.describe(id);
    const change = await this.#codeChange(id, description);
    if (description?.status.name === 'RUNNING' && !change?.moved) {
      await this.#control(id, 'resume', (handle) => handle.signal(resumeSignal));
      this.#views.delete(id);
      return { ...(await this.view(id)), restarted: false, code_change: change };
    }
    const row = await this.store.getSweep(id);
    if (!row) throw new SweepNotFound(id);
    if (row.status === 'completed' && description?.status.name === 'COMPLETED') {
      throw new ConflictError('sweep', id, 'is completed; there is nothing to resume');
    }
    if (change?.moved) await this.client.workflow.getHandle(id).terminate(`resume: moved to build ${change.to}`);
    await this.#start(row.spec, id, options, 'ALLOW_DUPLICATE');
    this.#views.delete(id);
    return { ...(await this.view(id)), restarted: true, code_change: change };
  }

  /** What resuming changes about the sweep's code; null when nothing (every stored row and the open run are of the build it carries on with). */
  async #codeChange(id: string, description: WorkflowExecutionDescription | null): Promise<CodeChange | null> {
    // Without a current version (unversioned workers only), the build is taken to be this process's.
    const to = (await currentBuildId(this.client.connection, this.client.options.namespace, deploymentName(this.taskQueue))) ?? codeVersion().build_id;
    const results_version = resultsVersionOfBuild(to) ?? codeVersion().results_version;
    const open = description?.status.name === 'RUNNING';
    const pinned = open ? pinnedBuildId(description) : null;
    const counts = await this.store.codeVersionCounts(id);
    const from = [...new Set([...counts.map((c) => c.code?.build_id ?? 'unknown'), ...(pinned ? [pinned] : [])])];
    if (from.every((build) => build === to)) return null;
    const kept = counts.filter((c) => c.code?.results_version === results_version).reduce((n, c) => n + c.done + c.failed, 0);
    const recomputed = counts.reduce((n, c) => n + c.done + c.failed, 0) - kept;
    // An open run carries on where it is: stopped and started again when it is pinned elsewhere or has rows to compute again.
    const moved = open && ((pinned !== null && pinned !== to) || recomputed > 0);
    const message =
      `sweep ${id} was run by build ${from.join(', ')}; ${moved ? 'its open run is stopped and it starts again' : 'it continues'} on build ${to} (results version ${results_version}), ` +
      `reusing only results of results version ${results_version}: ${kept} stored row(s) kept, ${recomputed} computed again`;
    return { from, to, results_version, kept, recomputed, moved, message };
  }

  /**
   * The store's sweeps, newest first: running and paused ones as their workflow sees them now (the
   * store's counts are refreshed only when a sweep ends), the others as stored.
   */
  async list(query: Parameters<Store['listSweeps']>[0]): Promise<{ views: SweepView[]; total: number }> {
    const { rows, total } = await this.store.listSweeps(query);
    const views = await Promise.all(rows.map((row) => (row.status === 'running' || row.status === 'paused' ? this.view(row.id) : this.storedView(row.id, row))));
    return { views, total };
  }

  /** Waits for the workflow to close and returns its view. */
  async result(id: string): Promise<SweepView> {
    try {
      await this.client.workflow.getHandle(id).result();
    } catch (err) {
      // A failed or cancelled sweep still has a view; its status says what happened. Temporal being
      // away is no outcome of the sweep.
      const away = asTemporalUnreachable(err, clientAddress(this.client));
      if (away) throw away;
    }
    this.#views.delete(id);
    return this.view(id);
  }

  /** Temporal's description of the sweep's workflow, null when it has none; TemporalUnreachable past `ms`. */
  private async describe(id: string, ms = CONTROL_MS): Promise<WorkflowExecutionDescription | null> {
    try {
      return await askTemporal(this.client, ms, () => this.client.workflow.getHandle(id).describe());
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return null;
      throw err;
    }
  }

  private async requireOpen(id: string, action: string): Promise<void> {
    const description = await this.describe(id);
    if (!description) throw new SweepNotFound(id);
    if (description.status.name !== 'RUNNING') throw notRunning(id, description, action);
  }

  /**
   * Sends a signal or a cancellation to a sweep found running a moment ago. The workflow may close
   * in between (a pause racing the sweep's last operations): Temporal then answers "not found"
   * ("workflow execution already completed"), which is the same refusal as a sweep closed before.
   */
  async #control(id: string, action: string, send: (handle: WorkflowHandle) => Promise<unknown>): Promise<void> {
    try {
      await send(this.client.workflow.getHandle(id));
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
      throw notRunning(id, await this.describe(id), action);
    }
  }
}

/** "is completed; only a running sweep can pause": the answer (409 in the API) to an action on a closed sweep. */
function notRunning(id: string, description: WorkflowExecutionDescription | null, action: string): ConflictError {
  const status = description ? description.status.name.toLowerCase() : 'closed';
  return new ConflictError('sweep', id, `is ${status}; only a running sweep can ${action}`);
}

export class SweepNotFound extends NotFoundError {
  constructor(id: string) {
    super('sweep', id, 'no such sweep (not in Temporal, not in the results store)');
  }
}

/** A new sweep asked for an id that an existing sweep has (the API answers 409). */
export class SweepIdTaken extends ConflictError {
  constructor(id: string, row: SweepRow | null, description: WorkflowExecutionDescription | null) {
    const status = description ? (CLOSED_STATUS[description.status.name] ?? 'running') : row?.status;
    const what = row ? ` (${row.kind.replace('_', ' ')} "${row.name}", ${status})` : status ? ` (${status})` : '';
    super('id', '', `"${id}" is already the id of a sweep${what}; a new sweep needs an id of its own, and resume continues that one`);
  }
}

export function viewFromProgress(p: SweepProgress, workflowStatus: string): SweepView {
  const { rate, eta_s } = rateAndEta({ ...p, paused: p.phase === 'paused' });
  return {
    id: p.sweep_id,
    kind: p.kind,
    name: p.name,
    status: p.phase === 'paused' ? 'paused' : 'running',
    total: p.total,
    done: p.done,
    failed: p.failed,
    running: p.running,
    rate,
    eta_s,
    primary_metric: p.primary_metric,
    best: p.best,
    errors: p.errors,
    progress: p,
    workflow_status: workflowStatus,
    temporal: 'ok',
    note: null,
  };
}

const CLOSED_STATUS: Record<string, SweepStatus> = {
  COMPLETED: 'completed',
  FAILED: 'failed',
  CANCELLED: 'cancelled',
  TERMINATED: 'terminated',
  TIMED_OUT: 'failed',
  CONTINUED_AS_NEW: 'running',
};

function viewFromStore(id: string, row: SweepRow | null, description: WorkflowExecutionDescription | null, temporal: TemporalState): SweepView {
  const workflowStatus = description?.status.name ?? null;
  // An open sweep's SweepStatus search attribute follows pause and resume without a worker.
  const attribute = workflowStatus === 'RUNNING' ? (description?.typedSearchAttributes.get(sweepStatusKey) as SweepStatus | undefined) : undefined;
  const status = (workflowStatus && CLOSED_STATUS[workflowStatus]) || attribute || row?.status || 'running';
  const memo = (description?.memo ?? {}) as { kind?: SweepKind; name?: string };
  return {
    id,
    kind: row?.kind ?? memo.kind ?? 'optimization',
    name: row?.name ?? memo.name ?? id,
    status,
    total: row?.total ?? 0,
    done: row?.completed ?? 0,
    failed: row?.failed ?? 0,
    running: 0,
    rate: null,
    eta_s: null,
    primary_metric: row?.primary_metric ?? 'sharpe_ratio',
    best: null,
    errors: [],
    progress: null,
    workflow_status: workflowStatus,
    temporal,
    note: null,
  };
}
