import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import proto from '@temporalio/proto';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { workflowsPath } from '../../worker.js';

/*
 * A sweep runs for a week and sees deploys: the workflow code of a new deploy must replay the
 * histories the old code wrote, or every running sweep fails at its next task. These are recorded
 * histories of both sweep kinds (pause, resume, continue-as-new, cancel and restart) replayed
 * against today's workflow code, as in [T] child-workflows/src/workflows-history.test.ts.
 * A deliberate change to workflow logic re-records them (`npm run record:histories`), or keeps old
 * histories replaying with patched() ([T] patching-api). No Temporal server is needed.
 */

const { History } = proto.temporal.api.history.v1;
const dir = path.join(import.meta.dirname, '..', 'fixtures', 'histories');

interface Recorded {
  file: string;
  workflowId: string;
  history: proto.temporal.api.history.v1.IHistory;
}

const recorded: Recorded[] = fs
  .readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((file) => {
    const { workflowId, history } = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
    return { file, workflowId, history: History.fromObject(history) };
  });

const events = recorded.flatMap((r) => r.history.events ?? []);
const EventType = proto.temporal.api.enums.v1.EventType;

test('the recorded histories cover both sweep kinds, pause, resume, continue-as-new, cancel and restart', () => {
  const types = new Set(events.map((e) => e.workflowExecutionStartedEventAttributes?.workflowType?.name).filter(Boolean));
  assert.deepEqual([...types].sort(), ['optimizationWorkflow', 'variantTestWorkflow']);
  const signals = new Set(events.map((e) => e.workflowExecutionSignaledEventAttributes?.signalName).filter(Boolean));
  assert.deepEqual([...signals].sort(), ['pause', 'resume']);
  const has = (type: proto.temporal.api.enums.v1.EventType) => events.some((e) => e.eventType === type);
  assert.ok(has(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW), 'a run continued as new');
  assert.ok(has(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED), 'a sweep was cancelled');
  const started = events.filter((e) => e.workflowExecutionStartedEventAttributes).map((e) => e.workflowExecutionStartedEventAttributes!);
  assert.ok(started.some((s) => s.continuedExecutionRunId), 'a run started from continue-as-new');
  const cancelled = recorded.find((r) => r.history.events?.some((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED))!;
  assert.ok(
    recorded.some((r) => r.workflowId === cancelled.workflowId && r.history.events?.at(-1)?.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED),
    'the cancelled sweep was resumed to completion under its id',
  );
});

test('today\'s workflow code replays every recorded history', { timeout: 300_000 }, async () => {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const results = Worker.runReplayHistories(
    { workflowsPath: workflowsPath(), replayName: 'sweeplab-replay' },
    recorded.map((r) => ({ workflowId: r.workflowId, history: r.history })),
  );
  let replayed = 0;
  for await (const result of results) {
    assert.equal(result.error, undefined, `${result.workflowId}: ${result.error}`);
    replayed++;
  }
  assert.equal(replayed, recorded.length);
});
