import { z } from 'zod';
import { timestampSchema } from './timestamp.js';

/** An event id: unique per event, chosen by the machine (a UUID or `{kioskId}-{bootId}-{seq}`). */
export const eventIdSchema = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9._:-]+$/, 'an event id is 1-128 characters of A-Z, a-z, 0-9, . _ : -');
export type EventId = z.infer<typeof eventIdSchema>;

const base = { id: eventIdSchema, ts: timestampSchema };

/** Peripherals a machine reports faults for (docs/domain.md). */
export const COMPONENTS = [
  'rfid_reader',
  'card_reader',
  'receipt_printer',
  'return_bin',
  'shelf_mechanism',
  'door',
  'screen',
  'network',
  'power',
  'climate',
  'stock',
  'other',
] as const;
export const componentSchema = z.enum(COMPONENTS);
export type Component = z.infer<typeof componentSchema>;

export const severitySchema = z.enum(['critical', 'major', 'minor']);
export type Severity = z.infer<typeof severitySchema>;

/** Item ids only: no reader identity ever leaves the machine. */
const itemIdSchema = z.string().min(1).max(64).optional();

/**
 * Set on a transaction the machine made while it could not reach the library system and forwarded
 * later (SIP2 "no block"): `ts` is still when it happened, so it lands in its own month.
 */
const forwardedOfflineSchema = z.boolean().optional();

const transaction = { ...base, itemId: itemIdSchema, forwardedOffline: forwardedOfflineSchema };

export const loanEventSchema = z.strictObject({ ...transaction, type: z.literal('loan') });
export const returnEventSchema = z.strictObject({ ...transaction, type: z.literal('return') });
/** A loan extended at the machine. Counted apart from loans (ISO 2789 counts renewals separately). */
export const renewalEventSchema = z.strictObject({ ...transaction, type: z.literal('renewal') });

/** The transactions a library system can refuse. */
export const TRANSACTION_OPERATIONS = ['loan', 'return', 'renewal'] as const;
export const transactionOperationSchema = z.enum(TRANSACTION_OPERATIONS);
export type TransactionOperation = z.infer<typeof transactionOperationSchema>;

/**
 * Why the library system refused, as a closed vocabulary: the library system's own message may name
 * the reader, so it never leaves the machine; `other` when it does not say or says something else.
 */
export const REFUSAL_REASONS = [
  'patron_blocked',
  'patron_expired',
  'fees_owed',
  'loan_limit',
  'item_on_hold',
  'item_not_for_loan',
  'item_unknown',
  'renewal_limit',
  'other',
] as const;
export const refusalReasonSchema = z.enum(REFUSAL_REASONS);
export type RefusalReason = z.infer<typeof refusalReasonSchema>;

/** The library system said no (a normal answer, not a fault): counted per machine and reason. */
export const transactionRefusedEventSchema = z.strictObject({
  ...base,
  type: z.literal('transaction_refused'),
  operation: transactionOperationSchema,
  reason: refusalReasonSchema,
  itemId: itemIdSchema,
  forwardedOffline: forwardedOfflineSchema,
});

export const faultEventSchema = z.strictObject({
  ...base,
  type: z.literal('fault'),
  faultId: z.string().min(1).max(128),
  component: componentSchema,
  code: z.string().min(1).max(64),
  severity: severitySchema,
  /** True when readers cannot borrow or return while the fault lasts. */
  blocksLending: z.boolean().optional(),
  message: z.string().max(500).optional(),
});

export const faultClearedEventSchema = z.strictObject({
  ...base,
  type: z.literal('fault_cleared'),
  faultId: z.string().min(1).max(128),
});

export const inspectionEventSchema = z.strictObject({
  ...base,
  type: z.literal('inspection'),
  inspector: z.string().min(1).max(64),
  result: z.enum(['pass', 'issues_found', 'fail']),
  checklist: z.record(z.string().max(64), z.enum(['ok', 'issue', 'not_checked'])).optional(),
  notes: z.string().max(1000).optional(),
});

export const reservationDeliveredEventSchema = z.strictObject({
  ...base,
  type: z.literal('reservation_delivered'),
  reservationId: z.string().min(1).max(128),
});

export const commandAckEventSchema = z.strictObject({
  ...base,
  type: z.literal('command_ack'),
  commandId: z.string().min(1).max(128),
  result: z.enum(['accepted', 'rejected', 'done']),
  detail: z.string().max(500).optional(),
});

/** One event as a machine publishes it on `{root}/{id}/events`. */
export const kioskEventSchema = z.discriminatedUnion('type', [
  loanEventSchema,
  returnEventSchema,
  renewalEventSchema,
  transactionRefusedEventSchema,
  faultEventSchema,
  faultClearedEventSchema,
  inspectionEventSchema,
  reservationDeliveredEventSchema,
  commandAckEventSchema,
]);
export type KioskEvent = z.infer<typeof kioskEventSchema>;
export type KioskEventType = KioskEvent['type'];
export const KIOSK_EVENT_TYPES = kioskEventSchema.options.map((o) => o.shape.type.value) as KioskEventType[];

/** Most events one message may carry (an outbox flush). */
export const MAX_EVENTS_PER_MESSAGE = 500;

/**
 * The payload of `{root}/{id}/events`: one event, or an array of events (an outbox flush).
 * Elements are validated one by one by the collector so that one bad event never costs the good ones.
 */
export const eventsPayloadSchema = z.union([kioskEventSchema, z.array(kioskEventSchema).min(1).max(MAX_EVENTS_PER_MESSAGE)]);
