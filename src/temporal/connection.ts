import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection, defaultGrpcRetryOptions, isGrpcDeadlineError, isGrpcServiceError, makeGrpcRetryInterceptor, type ConnectionOptions } from '@temporalio/client';

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

/**
 * A client for `namespace` at `address`; the caller closes `connection` when done. The connection
 * is lazy: nothing is dialled before the first call, so a command that reads only the results store
 * works while Temporal is away, and one that asks Temporal learns it is away within the deadline of
 * that call (askTemporal) instead of after a connect timeout.
 */
export async function connectClient(
  address: string = temporalAddress(),
  namespace: string = temporalNamespace(),
): Promise<{ client: Client; connection: Connection }> {
  const connection = Connection.lazy({ address, interceptors: [retryWithinDeadline()] });
  return { client: new Client({ connection, namespace }), connection };
}

type GrpcInterceptor = NonNullable<ConnectionOptions['interceptors']>[number];

/**
 * The SDK's gRPC retries (UNAVAILABLE and the like, backing off from 0.1 to 5 s over ten attempts,
 * about 20 s in all), except that a call with a deadline is not retried past it. A retry scheduled
 * beyond the deadline only fails with DEADLINE_EXCEEDED, hiding the reason (connection refused);
 * and its timer outlives the call, then throws "Channel has been shut down" once the connection is
 * closed.
 */
function retryWithinDeadline(): GrpcInterceptor {
  const sdk = defaultGrpcRetryOptions();
  return (options, nextCall) => {
    const deadline = options.deadline === undefined ? Infinity : Number(options.deadline);
    let delay = 0;
    return makeGrpcRetryInterceptor({
      retryableDecider: (attempt, status) => {
        if (!sdk.retryableDecider(attempt, status)) return false;
        delay = sdk.delayFunction(attempt, status);
        return Date.now() + delay < deadline;
      },
      delayFunction: () => delay,
    })(options, nextCall);
  };
}

/** Temporal could not be asked: nothing listens at its address, the name does not resolve, or it did not answer in time. */
export class TemporalUnreachable extends Error {
  constructor(
    /** `host:port`, or null when the caller does not know which server it was. */
    readonly address: string | null,
    /** What went wrong, short: "connect ECONNREFUSED 127.0.0.1:7233", "no answer within 0.7 s". */
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(
      `Temporal${address ? ` at ${address}` : ''} is unreachable (${reason}); start it with \`sweeplab up\`, or point TEMPORAL_ADDRESS at a running server`,
      options,
    );
    this.name = 'TemporalUnreachable';
  }
}

/** gRPC status codes (@grpc/grpc-js `status`): the call timed out, or the server is not there. */
const DEADLINE_EXCEEDED = 4;
const UNAVAILABLE = 14;

/**
 * The one test of "this failed because Temporal is away", for the client (gRPC UNAVAILABLE or
 * DEADLINE_EXCEEDED, also as the cause of the SDK's ServiceError) and for the worker's native
 * connection (`TransportError: tonic::transport::Error(… ConnectionRefused …)`). The API answers such
 * a failure with 503, reads fall back to the results store, and a starting worker waits.
 */
export function isTemporalUnreachable(error: unknown): boolean {
  return unreachableCause(error) !== null;
}

/** `error` as a TemporalUnreachable (itself when it is one), or null when Temporal being away is not the cause. */
export function asTemporalUnreachable(error: unknown, address: string | null = null): TemporalUnreachable | null {
  if (error instanceof TemporalUnreachable) return error;
  const cause = unreachableCause(error);
  return cause ? new TemporalUnreachable(address, reasonOf(cause), { cause: error }) : null;
}

function unreachableCause(error: unknown): Error | null {
  // The SDK wraps the gRPC error once or twice (ServiceError, then e.g. a query's own error).
  for (let e = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (e instanceof TemporalUnreachable) return e;
    if (isGrpcServiceError(e) && (e.code === UNAVAILABLE || e.code === DEADLINE_EXCEEDED)) return e;
    if (e.name === 'TransportError') return e;
  }
  return null;
}

/** The useful part of a transport failure: "connect ECONNREFUSED 127.0.0.1:7233", "Connection refused". */
function reasonOf(error: Error): string {
  if (error instanceof TemporalUnreachable) return error.reason;
  const text = isGrpcServiceError(error) ? error.details : error.message;
  if (isGrpcServiceError(error) && error.code === DEADLINE_EXCEEDED) return 'no answer in time';
  // grpc-js: "No connection established. Last error: Error: connect ECONNREFUSED 127.0.0.1:7233. Resolution note: "
  const lastError = /Last error: (?:Error: )?(.*?)\.?(?: Resolution note|$)/.exec(text);
  // The worker's Rust client: `… Os { code: 111, kind: ConnectionRefused, message: "Connection refused" }`.
  const native = /(?:message|error): \\?"([^"\\]+)/.exec(text);
  return (lastError?.[1] ?? native?.[1] ?? text).trim() || 'no reason given';
}

/** The address a client dials, when its connection says (a NativeConnection does not). */
export function clientAddress(client: Client): string | null {
  return client.connection instanceof Connection ? client.connection.options.address : null;
}

/**
 * Runs `fn`'s Temporal calls under a deadline `ms` from now, and throws TemporalUnreachable when
 * Temporal is away or has not answered by then. Without a deadline the SDK retries an unreachable
 * server for about 20 s, which is how a status page took 23 s while Temporal was down. On a client
 * from connectClient the retries stop before the deadline, with the last reason (connection refused).
 */
export async function askTemporal<T>(client: Client, ms: number, fn: () => Promise<T>): Promise<T> {
  const address = clientAddress(client);
  try {
    return await client.withDeadline(Date.now() + ms, fn);
  } catch (error) {
    if (isGrpcDeadlineError(error)) throw new TemporalUnreachable(address, `no answer within ${ms / 1000} s`, { cause: error });
    throw asTemporalUnreachable(error, address) ?? error;
  }
}

/** The first wait between attempts to reach Temporal at start-up, and the longest: 1, 2, 4 … 30 s. */
const RETRY_FIRST_MS = 1_000;
const RETRY_MAX_MS = 30_000;

/**
 * Calls `attempt` until it stops failing for want of Temporal, waiting 1, 2, 4 … up to 30 s between
 * tries and saying so on one line each time through `log`; any other failure is thrown at once. For
 * processes that start before Temporal does (a worker, `sweeplab up` on an external server).
 * When `signal` aborts (Ctrl-C, SIGTERM) while waiting, throws the signal's reason.
 */
export async function retryWhileUnreachable<T>(
  address: string,
  attempt: () => Promise<T>,
  opts: { signal?: AbortSignal; log: (line: string) => void; firstMs?: number; maxMs?: number },
): Promise<T> {
  const { signal, log, firstMs = RETRY_FIRST_MS, maxMs = RETRY_MAX_MS } = opts;
  // An attempt against an address that swallows packets can hang; a stop must not wait for it.
  const stopped = new Promise<never>((_, reject) => signal?.addEventListener('abort', () => reject(signal.reason), { once: true }));
  stopped.catch(() => {});
  for (let wait = firstMs; ; wait = Math.min(wait * 2, maxMs)) {
    signal?.throwIfAborted();
    try {
      return await Promise.race([attempt(), stopped]);
    } catch (error) {
      signal?.throwIfAborted();
      const away = asTemporalUnreachable(error, address);
      if (!away) throw error;
      log(`Temporal at ${address} is not reachable yet (${away.reason}); retrying in ${wait / 1000} s`);
    }
    await sleep(wait, undefined, { signal }).catch(() => {}); // an abort is thrown at the top of the loop
  }
}
