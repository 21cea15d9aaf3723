import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import type { AppendResult, DeadLetterRecord, EventRecord, TelemetryRecord } from './event-store.js';
import type { RetentionCutoffs } from '../domain/retention-policy.js';
import type { RetentionStep } from './sqlite-retention.js';
import type { WriterCommand, WriterFailure, WriterReply, WriterRequest, WriterSettings } from './sqlite-writer-protocol.js';

/** The SQLite store's writes, each one transaction on the writer thread; resolved once committed. */
export interface SqliteWriter {
  appendEvents(records: readonly EventRecord[]): Promise<AppendResult>;
  appendTelemetry(records: readonly TelemetryRecord[]): Promise<void>;
  appendDeadLetters(records: readonly DeadLetterRecord[]): Promise<void>;
  /** One bounded step of retention (sqlite-retention.ts). */
  retentionStep(cutoffs: RetentionCutoffs): Promise<RetentionStep>;
  /** Resolves once every write asked before it is done and the thread has ended. */
  close(): Promise<void>;
}

interface Pending {
  resolve(result: AppendResult | RetentionStep | undefined): void;
  reject(error: Error): void;
}

const isFromSource = import.meta.url.endsWith('.ts');
const WORKER_URL = new URL(`./sqlite-writer-worker.${isFromSource ? 'ts' : 'js'}`, import.meta.url);

/**
 * Built, the worker is plain JavaScript beside this file. From TypeScript source (tsx, vitest) a
 * worker thread does not inherit the parent's loader, so it loads its module through tsx's API
 * (a dev dependency, present wherever the source runs).
 */
function spawnWorker(settings: WriterSettings): Worker {
  if (!isFromSource) return new Worker(WORKER_URL, { workerData: settings });
  // tsx's ESM entry beside the CommonJS one `require` resolves; the latter cannot load from an eval'd worker.
  const tsx = pathToFileURL(
    createRequire(import.meta.url)
      .resolve('tsx/esm/api')
      .replace(/\.cjs$/, '.mjs'),
  ).href;
  const source = `import(${JSON.stringify(tsx)}).then((api) => api.tsImport(${JSON.stringify(WORKER_URL.href)}, ${JSON.stringify(import.meta.url)}))`;
  return new Worker(source, { eval: true, workerData: settings });
}

/** The error a failed request reports, rebuilt on this side (SQLite's keeps its class and code). */
function rebuild(failure: WriterFailure): Error {
  if (failure.name === 'SqliteError') return new Database.SqliteError(failure.message, failure.code ?? 'SQLITE_ERROR');
  return Object.assign(new Error(failure.message), failure.code === undefined ? {} : { code: failure.code });
}

/**
 * Starts the store's writer thread on first use: it owns the only write connection, so commits
 * (and their fsyncs) happen beside the event loop instead of on it. Requests are served in order;
 * while one commits, the collector gathers the next batch. If the thread dies, its pending
 * requests fail and the next request starts a new one. The thread keeps the process alive only
 * while a request is pending.
 */
export function startSqliteWriter(settings: WriterSettings): SqliteWriter {
  let current: { worker: Worker; pending: Map<number, Pending>; exited: Promise<void> } | null = null;
  let seq = 0;

  const thread = () => {
    if (current) return current;
    const worker = spawnWorker(settings);
    const pending = new Map<number, Pending>();
    const failAll = (error: Error) => {
      for (const p of pending.values()) p.reject(error);
      pending.clear();
    };
    worker.unref();
    worker.on('message', (reply: WriterReply) => {
      const p = pending.get(reply.seq);
      if (!p) return;
      pending.delete(reply.seq);
      if (pending.size === 0) worker.unref();
      if (reply.error) p.reject(rebuild(reply.error));
      else p.resolve(reply.result);
    });
    worker.on('error', (error) => {
      if (current?.worker === worker) current = null;
      failAll(error);
    });
    const exited = new Promise<void>((resolve) =>
      worker.once('exit', (code) => {
        if (current?.worker === worker) current = null;
        failAll(new Error(`the SQLite writer thread exited (code ${code})`));
        resolve();
      }),
    );
    current = { worker, pending, exited };
    return current;
  };

  const ask = (command: WriterCommand) =>
    new Promise<AppendResult | RetentionStep | undefined>((resolve, reject) => {
      const { worker, pending } = thread();
      const message: WriterRequest = { ...command, seq: ++seq };
      pending.set(message.seq, { resolve, reject });
      if (pending.size === 1) worker.ref();
      worker.postMessage(message);
    });

  return {
    appendEvents: async (records) => (await ask({ op: 'events', records })) as AppendResult,
    appendTelemetry: async (records) => void (await ask({ op: 'telemetry', records })),
    appendDeadLetters: async (records) => void (await ask({ op: 'deadLetters', records })),
    retentionStep: async (cutoffs) => (await ask({ op: 'retention', cutoffs })) as RetentionStep,
    async close() {
      if (!current) return;
      const { worker, exited } = current;
      await ask({ op: 'close' });
      worker.ref(); // until it has exited, or the process could end first
      await exited;
    },
  };
}
