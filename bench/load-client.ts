import autocannon from 'autocannon';

/*
 * The load generator, run as its own process so it does not share an event loop with the server it
 * measures: N connections alternate between a sweep's status and its results page for D seconds.
 * Prints one JSON line: requests, errors, non-2xx, and latency percentiles computed from every response.
 */

const [url, id, connections, seconds] = process.argv.slice(2);
const latencies: number[] = [];
let finished!: (result: autocannon.Result) => void;
const done = new Promise<autocannon.Result>((resolve) => (finished = resolve));
const instance = autocannon({
  url: url!,
  connections: Number(connections),
  duration: Number(seconds),
  requests: [
    { method: 'GET', path: `/api/sweeps/${id}` },
    { method: 'GET', path: `/api/sweeps/${id}/results?sort=sharpe_ratio&order=desc&limit=50` },
  ],
}, (err, result) => {
  if (err) throw err;
  finished(result);
});
instance.on('response', (_client: unknown, _status: number, _bytes: number, ms: number) => latencies.push(ms));
const result = await done;
latencies.sort((a, b) => a - b);
const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.ceil((p / 100) * latencies.length) - 1)] ?? null;
process.stdout.write(
  `${JSON.stringify({ requests: result.requests.total, errors: result.errors, timeouts: result.timeouts, non_2xx: result.non2xx, p50_ms: pct(50), p95_ms: pct(95), p99_ms: pct(99), max_ms: latencies.at(-1) ?? null })}\n`,
);
