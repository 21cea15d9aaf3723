import type { ChannelMessage } from './channel.js';

/**
 * Where an outbox entry is in its life:
 * - `pending`: waiting to be sent (or tried again) from `dueMs` on;
 * - `sending`: handed to the channel; found so at a start, the process stopped mid-send;
 * - `held`: not sent again without a person (a refusal that retrying cannot fix, or a robot that
 *   may have taken the message without saying so);
 * - `sent`: the channel accepted it; `given_up`: a person gave up on it; `expired`: it stopped
 *   mattering before it could be sent; `merged`: it went out inside a digest (`mergedInto`).
 */
export const OUTBOX_STATES = ['pending', 'sending', 'held', 'sent', 'given_up', 'expired', 'merged'] as const;
export type OutboxState = (typeof OUTBOX_STATES)[number];
/** States still waiting for the channel or a person: the outbox's depth. */
export const OPEN_STATES: readonly OutboxState[] = ['pending', 'sending', 'held'];

export type OutboxEntryId = number;

/** A message to record for one channel. */
export interface NewOutboxEntry {
  channel: string;
  message: ChannelMessage;
  /** Messages of one channel with the same group key may be merged into one digest; null: never. */
  groupKey: string | null;
  /**
   * Each notice a channel sends once (alert, kind, step): an entry whose every key this channel
   * already recorded is not added again, across restarts.
   */
  noticeKeys: readonly string[];
  /** The alerts it tells of, for an alert's list of deliveries. */
  alertIds: readonly string[];
  createdMs: number;
  /** Not sent before (the group window). */
  dueMs: number;
  /** Given up by itself (state `expired`) if not sent by then: the alert no longer matters. */
  expiresMs: number;
}

export interface OutboxEntry {
  id: OutboxEntryId;
  /** The idempotency key: the same on every try of this entry, unique across entries. */
  key: string;
  channel: string;
  message: ChannelMessage;
  groupKey: string | null;
  state: OutboxState;
  createdMs: number;
  dueMs: number;
  expiresMs: number;
  /** Tries so far. */
  attempts: number;
  lastError: string | null;
  /** When it was sent, given up, expired or merged. */
  doneMs: number | null;
  /** Who gave it up, or retried it by hand. */
  doneBy: string | null;
  mergedInto: OutboxEntryId | null;
  /** The node that claimed it last, and until when its claim holds (while `sending`). */
  claimedBy: string | null;
  leaseUntilMs: number | null;
}

/** One channel's backlog: what `/api/v1/notifications`, `/api/v1/health` and `/metrics` show. */
export interface OutboxDepth {
  channel: string;
  /** Pending, sending and held entries. */
  depth: number;
  held: number;
  oldestCreatedMs: number | null;
}

/** How an alert reached (or is still trying to reach) one channel. */
export interface AlertDelivery {
  entryId: OutboxEntryId;
  channel: string;
  kind: string;
  step: number | null;
  state: OutboxState;
  createdMs: number;
  doneMs: number | null;
  attempts: number;
  lastError: string | null;
}

export interface OutboxListQuery {
  channel?: string;
  states?: readonly OutboxState[];
  limit: number;
}

/**
 * The durable notification outbox: every message to every channel is recorded here before it is
 * sent and stays until the channel accepted it, a person gave up on it or it stopped mattering.
 * A port: SQLite (`sqlite-notification-outbox.ts`, one node) and PostgreSQL
 * (`postgres-notification-outbox.ts`, shared by every node with DATABASE_URL); every adapter passes
 * tests/contract/notification-outbox-contract.ts. Async because the PostgreSQL adapter is.
 *
 * Each message goes out once even with several nodes: a sender `claim`s it (pending → sending,
 * with its name and a lease) before sending, and only one claim of a pending message succeeds. A
 * node that dies mid-send leaves the message `sending`; once its lease has run out, `inFlight`
 * shows it to another node, which tries it again or holds it for a person.
 */
export interface NotificationOutbox {
  /**
   * Records new entries in one transaction; those whose notices the channel already has are left
   * out, also when two nodes record the same notice at once (it is stored once).
   */
  add(entries: readonly NewOutboxEntry[]): Promise<OutboxEntry[]>;
  get(id: OutboxEntryId): Promise<OutboxEntry | undefined>;
  /** The channel's oldest entry still pending (in creation order), due or not. */
  head(channel: string): Promise<OutboxEntry | undefined>;
  /** The channel's pending entries of one group, oldest first. */
  pendingInGroup(channel: string, groupKey: string): Promise<OutboxEntry[]>;
  /** Replaces pending entries by one digest entry (state `pending`, created as the oldest of them). */
  merge(ids: readonly OutboxEntryId[], digest: NewOutboxEntry): Promise<OutboxEntry>;
  /**
   * Pending → sending for `owner` until `atMs + leaseMs`, one more attempt counted; false when the
   * entry is no longer pending (another node claimed it, or a person gave it up).
   */
  claim(id: OutboxEntryId, owner: string, atMs: number, leaseMs: number): Promise<boolean>;
  /** Claims the channel's oldest pending entry due by `nowMs`, skipping any another node is claiming. */
  claimNext(channel: string, owner: string, nowMs: number, leaseMs: number): Promise<OutboxEntry | undefined>;
  markSent(id: OutboxEntryId, atMs: number): Promise<void>;
  /** Back to pending, tried again from `dueMs`. */
  markRetry(id: OutboxEntryId, dueMs: number, error: string): Promise<void>;
  /** Held until a person acts. */
  hold(id: OutboxEntryId, error: string): Promise<void>;
  /** A person sends a held entry again (pending, due at `atMs`); false unless it was held. */
  retry(id: OutboxEntryId, by: string, atMs: number): Promise<boolean>;
  /** A person gives up on a pending or held entry; false unless it was one of them. */
  giveUp(id: OutboxEntryId, by: string, atMs: number): Promise<boolean>;
  /** Entries past `expiresMs` that were still pending or held become `expired`; returns them. */
  expire(nowMs: number): Promise<OutboxEntry[]>;
  /** Entries left in `sending` whose claim's lease ran out by `nowMs` (the sender stopped mid-send). */
  inFlight(channel: string, nowMs: number): Promise<OutboxEntry[]>;
  /** When this channel's entries were last accepted, newest first, since `sinceMs`: the pacing a restart inherits. */
  sentSince(channel: string, sinceMs: number): Promise<number[]>;
  list(query: OutboxListQuery): Promise<OutboxEntry[]>;
  depths(): Promise<OutboxDepth[]>;
  deliveriesOf(alertId: string): Promise<AlertDelivery[]>;
  /** Forgets finished entries done before `beforeMs`, with their notice keys; returns how many. */
  prune(beforeMs: number): Promise<number>;
  /**
   * The one sender of this outbox: true while `owner` holds the lease (taken when free or
   * expired, renewed by its holder). One node paces each channel; the claims keep each message
   * to one send even while two nodes briefly both think they hold it.
   */
  acquireLease(owner: string, nowMs: number, ttlMs: number): Promise<boolean>;
  releaseLease(owner: string): Promise<void>;
  close(): Promise<void>;
}
