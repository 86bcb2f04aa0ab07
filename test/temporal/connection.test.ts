import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { ServiceError, WorkflowNotFoundError } from '@temporalio/client';
import {
  connectClient,
  isTemporalUnreachable,
  retryWhileUnreachable,
  taskQueue,
  temporalAddress,
  temporalNamespace,
  TemporalUnreachable,
} from '../../src/temporal/connection.js';
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

/** A gRPC status error as grpc-js makes them (code, details, metadata). */
function grpcError(code: number, details: string): Error {
  return Object.assign(new Error(`${code} ${details}`), { code, details, metadata: {} });
}

/** The worker's native connection error, as `NativeConnection.connect` throws it. */
function transportError(): Error {
  const error = new Error('tonic::transport::Error(Transport, ConnectError(ConnectError("tcp connect error", 127.0.0.1:1, Os { code: 111, kind: ConnectionRefused, message: "Connection refused" })))');
  error.name = 'TransportError';
  return error;
}

test('Temporal counts as unreachable for UNAVAILABLE and DEADLINE_EXCEEDED (also wrapped) and a refused native connection, not for other failures', () => {
  const refused = grpcError(14, 'No connection established. Last error: Error: connect ECONNREFUSED 127.0.0.1:7233. Resolution note: ');
  assert.deepEqual(
    [
      refused,
      new ServiceError('Failed to describe workflow', { cause: refused }),
      grpcError(4, 'Deadline exceeded'),
      transportError(),
      new TemporalUnreachable('h:1', 'no answer within 0.7 s'),
      new WorkflowNotFoundError('gone', 'wf', undefined),
      grpcError(7, 'permission denied'),
      new Error('bug'),
      undefined,
    ].map(isTemporalUnreachable),
    [true, true, true, true, true, false, false, false, false],
  );
});

test('retryWhileUnreachable doubles its wait up to the cap (here 1 ms to 3 ms), one line per failed attempt, and returns what the attempt gives once it succeeds', async () => {
  const lines: string[] = [];
  let attempts = 0;
  const value = await retryWhileUnreachable(
    '127.0.0.1:1',
    async () => {
      if (++attempts < 4) throw transportError();
      return 'connected';
    },
    { log: (line) => lines.push(line), firstMs: 1, maxMs: 3 },
  );
  assert.equal(value, 'connected');
  assert.deepEqual(lines, [
    'Temporal at 127.0.0.1:1 is not reachable yet (Connection refused); retrying in 0.001 s',
    'Temporal at 127.0.0.1:1 is not reachable yet (Connection refused); retrying in 0.002 s',
    'Temporal at 127.0.0.1:1 is not reachable yet (Connection refused); retrying in 0.003 s',
  ]);
});

test('retryWhileUnreachable throws any other failure at once, without waiting', async () => {
  const lines: string[] = [];
  await assert.rejects(
    retryWhileUnreachable('h:1', () => Promise.reject(new Error('bad TLS config')), { log: (line) => lines.push(line) }),
    /^Error: bad TLS config$/,
  );
  assert.deepEqual(lines, []);
});

test('retryWhileUnreachable stops waiting when its signal aborts, throwing the reason', async () => {
  const controller = new AbortController();
  const waiting = retryWhileUnreachable('h:1', () => Promise.reject(transportError()), { log: () => controller.abort(new Error('stopped by SIGTERM')), signal: controller.signal });
  await assert.rejects(waiting, /^Error: stopped by SIGTERM$/);
});
