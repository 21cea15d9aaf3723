import { REJECTION_REASONS as BROKER_REJECTION_REASONS } from '../broker/rejection.js';

/** Stable reason codes of messages the collector's decoder refuses (decode.ts). */
export const DECODE_REJECTION_REASONS = [
  'unknown_topic',
  'payload_too_large',
  'invalid_json',
  'schema',
  'unknown_event_type',
  'timestamp_out_of_range',
  'too_many_events',
] as const;
export type DecodeRejectionReason = (typeof DECODE_REJECTION_REASONS)[number];

/** An event refused because its id was taken by another: the dead letter's reason, the ack's and the counter's name. */
export const ID_CONFLICT = 'id_conflict';

/**
 * Refusals of the platform's own rules, after a message was decoded: an event id taken by another
 * event (id-conflict.ts), a delivery of a reservation never created. Stable codes, like the others.
 */
export const DOMAIN_REFUSAL_REASONS = [ID_CONFLICT, 'unknown_reservation'] as const;
export type DomainRefusalReason = (typeof DOMAIN_REFUSAL_REASONS)[number];

/**
 * Why a message was dead-lettered, whoever refused it: the broker (broker/rejection.ts), the
 * decoder or a domain rule. One vocabulary for the dead-letter store, the ingest counters and the
 * dashboard; the three lists share no code, so a reason names its refuser. Rename none of them.
 */
export const DEAD_LETTER_REASONS = [...BROKER_REJECTION_REASONS, ...DECODE_REJECTION_REASONS, ...DOMAIN_REFUSAL_REASONS] as const;
export type DeadLetterReason = (typeof DEAD_LETTER_REASONS)[number];
