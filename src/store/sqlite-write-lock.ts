/*
 * libsql runs SQLite synchronously on the calling thread. If two connections in ONE process write
 * the same file, the second one's busy wait blocks the event loop, so the first can never reach its
 * COMMIT: both stall until the busy timeout and one fails. Writers in one process therefore queue
 * here, per file, and only writers in other processes meet SQLite's file lock (and its busy timeout).
 */

const tails = new Map<string, Promise<void>>();

/** Runs `fn` after every earlier writer of `key` (an absolute file path) in this process has finished. */
export async function withProcessWriteLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
  const previous = tails.get(key) ?? Promise.resolve();
  let release!: () => void;
  const mine = new Promise<void>((resolve) => (release = resolve));
  const tail = previous.then(() => mine);
  tails.set(key, tail);
  await previous;
  try {
    return await fn();
  } finally {
    release();
    // The last writer out removes the entry, so the map holds only files being written.
    if (tails.get(key) === tail) tails.delete(key);
  }
}
