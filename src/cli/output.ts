/*
 * stdout and stderr of the CLI when they are pipes. Node writes to a pipe without blocking: what the
 * pipe's buffer (64 KiB on Linux) cannot take at once stays queued in this process, so exiting
 * before the queue is written cuts the output, and a cut CSV still looks valid.
 */

/** Resolves once everything written so far to stdout and stderr has been handed to the OS. */
export function flushOutput(): Promise<void> {
  return Promise.all([process.stdout, process.stderr].map(flushed)).then(() => undefined);
}

/** Writes are done in order, so the callback of an empty write runs once every earlier one is done. */
function flushed(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => {
    if (!stream.writable) return resolve();
    stream.write('', () => resolve());
  });
}

/**
 * A reader that stops early (`sweeplab results … | head`) closes the pipe: that ends the command
 * quietly, as it does for other Unix tools, instead of an unhandled EPIPE with a stack trace.
 */
export function exitWhenOutputCloses(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE') throw err;
      process.exit(0);
    });
  }
}
