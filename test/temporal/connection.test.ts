import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { connectClient, taskQueue, temporalAddress, temporalNamespace } from '../../src/temporal/connection.js';
import { startTestServer } from '../helpers/temporal.js';

/** Runs `body` with the given variables set (or unset for undefined), restoring them after. */
function withEnv(vars: Record<string, string | undefined>, body: () => void): void {
  const saved = Object.fromEntries(Object.keys(vars).map((key) => [key, process.env[key]]));
  const apply = (values: Record<string, string | undefined>): void => {
    for (const [key, value] of Object.entries(values)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  };
  apply(vars);
  try {
    body();
  } finally {
    apply(saved);
  }
}

test('defaults to the local dev server, the default namespace and the sweeplab queue', () => {
  withEnv({ TEMPORAL_ADDRESS: undefined, TEMPORAL_NAMESPACE: undefined, SWEEPLAB_TASK_QUEUE: undefined }, () => {
    assert.deepEqual(
      [temporalAddress(), temporalNamespace(), taskQueue()],
      ['127.0.0.1:7233', 'default', 'sweeplab'],
    );
  });
});

test('takes address, namespace and task queue from the environment', () => {
  withEnv({ TEMPORAL_ADDRESS: 'temporal:7233', TEMPORAL_NAMESPACE: 'research', SWEEPLAB_TASK_QUEUE: 'gpu' }, () => {
    assert.deepEqual([temporalAddress(), temporalNamespace(), taskQueue()], ['temporal:7233', 'research', 'gpu']);
  });
});

test('connectClient gives a client on the namespace it was asked for', async () => {
  const t = await startTestServer({ namespace: 'sweeplab-connect' });
  after(() => t.stop());
  const { client, connection } = await connectClient(t.server.address, 'sweeplab-connect');
  after(() => connection.close());
  assert.equal(client.options.namespace, 'sweeplab-connect');
  const { namespaceInfo } = await connection.workflowService.describeNamespace({ namespace: 'sweeplab-connect' });
  assert.equal(namespaceInfo?.name, 'sweeplab-connect');
});
