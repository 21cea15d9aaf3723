import type { AppendResult, DeadLetterRecord, EventRecord, TelemetryRecord } from './event-store.js';
import type { RetentionCutoffs } from '../domain/retention-policy.js';
import type { RetentionStep } from './sqlite-retention.js';

/** What the writer thread is started with (its `workerData`). */
export interface WriterSettings {
  file: string;
  timeZone: string;
  synchronous: 'FULL' | 'NORMAL' | undefined;
}

/** What the writer thread is asked: one transaction, or the end. */
export type WriterCommand =
  | { op: 'events'; records: readonly EventRecord[] }
  | { op: 'telemetry'; records: readonly TelemetryRecord[] }
  | { op: 'deadLetters'; records: readonly DeadLetterRecord[] }
  | { op: 'retention'; cutoffs: RetentionCutoffs }
  | { op: 'close' };

/** `seq` pairs a request with its reply. */
export type WriterRequest = WriterCommand & { seq: number };

/** What went wrong, as plain data: errors do not cross threads with their class. */
export interface WriterFailure {
  name: string;
  message: string;
  code?: string;
}

/** The outcome of one request: its result, or its failure. */
export type WriterReply = { seq: number } & (
  { result: AppendResult | RetentionStep | undefined; error?: undefined } | { error: WriterFailure }
);
