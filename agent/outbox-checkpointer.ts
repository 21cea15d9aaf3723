import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * Copies the outbox's write-ahead log into the database file from a thread of its own.
 *
 * SQLite's automatic checkpoint runs inside whichever commit crosses its threshold, and it fsyncs
 * the log and the file there: a few milliseconds, tens under I/O pressure, on the event loop. For
 * the SIP2 bridge that commit is the one a reader's loan waits on (the observed transaction is
 * written before the answer is forwarded), so the outbox turns the automatic checkpoint off and
 * this thread runs a PASSIVE checkpoint on its own connection every `everyMs`. PASSIVE never waits
 * for the writer and the writer never waits for it (WAL mode), and durability is unchanged: the
 * same fsyncs happen, only off the answer's path.
 *
 * The thread is a few lines of plain JavaScript, evaluated rather than loaded from a file, so it
 * runs the same from the TypeScript sources and from the build.
 */
export interface OutboxCheckpointer {
  /**
   * Stops the thread and waits (a second at most) until its connection is closed, so that the
   * outbox's own close is the last one: it checkpoints what is left and removes the log files.
   */
  stop(): void;
}

/** How long `stop` waits for the thread's connection to close. */
const STOP_WAIT_MS = 1_000;

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { fileMustExist: true });
const checkpoint = () => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch {
    // Busy or gone: the next round tries again, and the outbox's close checkpoints anyway.
  }
};
const timer = setInterval(checkpoint, workerData.everyMs);
parentPort.on('message', () => {
  clearInterval(timer);
  db.close();
  Atomics.store(workerData.closed, 0, 1);
  Atomics.notify(workerData.closed, 0);
  parentPort.close();
});
`;

/** `onFailure` runs if the thread dies, so the outbox can go back to checkpointing itself. */
export function startOutboxCheckpointer(file: string, everyMs: number, onFailure: (err: Error) => void): OutboxCheckpointer {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const closed = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { file, driver, everyMs, closed } });
  let hasFailed = false;
  worker.on('error', (err) => {
    hasFailed = true;
    onFailure(err);
  });
  // It must not keep a process alive that has nothing else to do.
  worker.unref();
  return {
    stop() {
      if (hasFailed) return;
      worker.postMessage('stop');
      Atomics.wait(closed, 0, 0, STOP_WAIT_MS);
    },
  };
}
