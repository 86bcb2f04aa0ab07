import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import { after, test } from 'node:test';
import { startDevServer } from '../../src/temporal/dev-server.js';
import { startTestServer, uniqueId } from '../helpers/temporal.js';

/** Whether a process with this pid still exists (signal 0 only checks). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
}

test('registers the sweep search attributes with their types', async () => {
  const t = await startTestServer();
  after(() => t.stop());
  const { customAttributes } = await t.connection.operatorService.listSearchAttributes({ namespace: 'default' });
  // IndexedValueType in temporal/api/enums/v1/common.proto: KEYWORD = 2, INT = 3.
  assert.deepEqual(
    { ...customAttributes },
    { SweepKind: 2, SweepName: 2, SweepStatus: 2, SweepTotal: 3 },
  );
});

test('registers the search attributes in a namespace it creates', async () => {
  const t = await startTestServer({ namespace: 'sweeplab-test' });
  after(() => t.stop());
  const { customAttributes } = await t.connection.operatorService.listSearchAttributes({
    namespace: 'sweeplab-test',
  });
  assert.deepEqual(
    { ...customAttributes },
    { SweepKind: 2, SweepName: 2, SweepStatus: 2, SweepTotal: 3 },
  );
});

test('keeps a started workflow through a SIGKILL and a restart on the same db file, which is in WAL mode', async () => {
  const first = await startTestServer();
  after(() => first.stop());
  const workflowId = uniqueId('survivor');
  // No worker polls this queue, so the workflow stays RUNNING with only its start in history.
  await first.client.workflow.start('survivorWorkflow', { workflowId, taskQueue: uniqueId('no-worker') });
  // Written without an fsync per history write (src/temporal/dev-server.ts), and still kept below.
  assert.ok(fs.existsSync(`${first.dbFile}-wal`), 'the server writes a write-ahead log beside its db file');
  const firstPid = first.server.pid;
  await first.kill();
  assert.equal(isAlive(firstPid), false, 'the first server is gone before the restart');

  const second = await first.restart();
  after(() => second.stop());
  assert.equal(second.server.address, first.server.address, 'the restart reuses the port');
  const description = await second.client.workflow.getHandle(workflowId).describe();
  assert.equal(description.type, 'survivorWorkflow');
  assert.equal(description.status.name, 'RUNNING');
});

test('stop() leaves no process behind', async () => {
  const server = await startDevServer({ headless: true });
  after(() => server.stop());
  assert.equal(isAlive(server.pid), true);
  await server.stop();
  assert.equal(isAlive(server.pid), false);
});

test('rejects with the server output when the server exits before it is ready', async () => {
  // Drops whatever connects (the readiness probe does) so that close() does not wait on it.
  const blocker = net.createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  after(() => blocker.close());
  const { port } = blocker.address() as net.AddressInfo;
  await assert.rejects(startDevServer({ headless: true, port }), (error: Error) => {
    assert.match(error.message, /exited \(\d+\) before it was ready/);
    assert.match(error.message, new RegExp(`--port ${port}`), 'names the command');
    assert.match(error.message, /address already in use/, 'quotes the server output');
    return true;
  });
});

test('passes dynamic config values to the server', async () => {
  const t = await startTestServer({ dynamicConfig: { 'limit.maxIDLength': 40 } });
  after(() => t.stop());
  // The limit applies to task queue names and the client's 36-character request id too, hence a
  // short queue (this server is the test's own) and a limit above 36.
  const taskQueue = 'q';
  // 41 characters: one over the limit set above; 40 is still accepted.
  await assert.rejects(
    t.client.workflow.start('limitWorkflow', { workflowId: 'x'.repeat(41), taskQueue }),
    (error: Error) => {
      assert.match(String((error.cause as Error | undefined)?.message), /WorkflowId exceeds maximum allowed length \(41\/40\)/);
      return true;
    },
  );
  const handle = await t.client.workflow.start('limitWorkflow', { workflowId: 'x'.repeat(40), taskQueue });
  assert.equal((await handle.describe()).status.name, 'RUNNING');
});
