import { Client, Connection } from '@temporalio/client';

/** The Temporal frontend, `host:port`: TEMPORAL_ADDRESS, else the local dev server's default. */
export function temporalAddress(): string {
  return process.env.TEMPORAL_ADDRESS || '127.0.0.1:7233';
}

export function temporalNamespace(): string {
  return process.env.TEMPORAL_NAMESPACE || 'default';
}

/** The task queue sweeps and their activities run on; workers and clients must agree. */
export function taskQueue(): string {
  return process.env.SWEEPLAB_TASK_QUEUE || 'sweeplab';
}

/** A client for `namespace` at `address`; the caller closes `connection` when done. */
export async function connectClient(
  address: string = temporalAddress(),
  namespace: string = temporalNamespace(),
): Promise<{ client: Client; connection: Connection }> {
  let connection: Connection;
  try {
    connection = await Connection.connect({ address, connectTimeout: 5_000 });
  } catch (err) {
    throw new Error(
      `cannot reach Temporal at ${address} (${err instanceof Error ? err.message : String(err)}); start it with \`sweeplab up\`, or point TEMPORAL_ADDRESS at a running server`,
    );
  }
  return { client: new Client({ connection, namespace }), connection };
}
