import { z } from 'zod';
import { timestampSchema } from '../../protocol/timestamp.js';
import { commandSchema } from '../../protocol/commands.js';
import { lifecycleSchema } from '../../registry/kiosk.js';

/**
 * Events the platform itself originates: a crew member's acknowledgement, an operator's pause, a
 * planned maintenance window, the platform starting or losing its broker. They are appended to
 * the same history as a machine's events (through `Ingest.recordPlatformEvents`), so every
 * figure (uptime, response times) stays a fold of the history.
 *
 * Who did it (`by`) is taken from the request for now: authentication is a separate issue.
 */
const base = { id: z.string().min(1).max(200), ts: timestampSchema };
export const personSchema = z.string().trim().min(1).max(64);
const note = z.string().trim().max(1000).optional();
const alertId = z.string().min(1).max(200);

export const alertAcknowledgedSchema = z.strictObject({
  ...base,
  type: z.literal('alert_acknowledged'),
  alertId,
  by: personSchema,
  note,
});
export const alertAssignedSchema = z.strictObject({
  ...base,
  type: z.literal('alert_assigned'),
  alertId,
  by: personSchema,
  assignee: personSchema,
  note,
});
export const alertCommentedSchema = z.strictObject({
  ...base,
  type: z.literal('alert_commented'),
  alertId,
  by: personSchema,
  text: z.string().trim().min(1).max(2000),
});
export const alertResolvedSchema = z.strictObject({
  ...base,
  type: z.literal('alert_resolved'),
  alertId,
  by: personSchema,
  note,
});
/** Recorded by the escalation timer; its id is derived from the alert and the step, so it is recorded once. */
export const alertEscalatedSchema = z.strictObject({
  ...base,
  type: z.literal('alert_escalated'),
  alertId,
  /** 1-based index into the policy's steps. */
  step: z.number().int().min(1),
  /** Share of the response promise that had passed, in percent (50, 80, 100). */
  percent: z.number().positive(),
  dueAt: timestampSchema,
  /** The step's time passed unobserved and a higher step was due with it: recorded, not sent. */
  skipped: z.literal(true).optional(),
});

export const kioskLifecycleChangedSchema = z.strictObject({
  ...base,
  type: z.literal('kiosk_lifecycle_changed'),
  lifecycle: lifecycleSchema,
  previous: lifecycleSchema,
  by: personSchema,
  reason: z.string().trim().min(1).max(500),
  commandId: z.string().min(1).max(128).optional(),
});

/** Planned maintenance of one machine: excluded from the time it is expected in service. */
export const maintenanceWindowSchema = z
  .strictObject({
    ...base,
    type: z.literal('maintenance_window'),
    windowId: z.string().min(1).max(128),
    from: timestampSchema,
    to: timestampSchema,
    by: personSchema,
    reason: z.string().trim().min(1).max(500),
  })
  .refine((w) => Date.parse(w.to) > Date.parse(w.from), { message: 'a maintenance window ends after it starts', path: ['to'] });

/** A command published to a machine; the machine's `command_ack` event answers it. */
export const commandSentSchema = z.strictObject({
  ...base,
  type: z.literal('command_sent'),
  commandId: commandSchema.shape.id,
  command: commandSchema.shape.type,
  reason: commandSchema.shape.reason,
  by: commandSchema.shape.by,
});

/** The machine said nothing (no status, event or telemetry) for longer than the silence timeout. */
export const kioskSilentSchema = z.strictObject({
  ...base,
  type: z.literal('kiosk_silent'),
  lastHeardAt: timestampSchema,
  timeoutMs: z.number().int().positive(),
});
/** A silent machine was heard again. */
export const kioskHeardSchema = z.strictObject({ ...base, type: z.literal('kiosk_heard') });

/**
 * Online and in service, but far fewer loans and returns than the machine usually has at these
 * hours (lending-check.ts): the evidence as it stood when the platform noticed.
 */
export const kioskNotLendingSchema = z.strictObject({
  ...base,
  type: z.literal('kiosk_not_lending'),
  /** Start of the window judged: just after a transaction, or when the machine became available. */
  since: timestampSchema,
  expected: z.number().min(0),
  seen: z.number().int().min(0),
  /** P(seeing so few | expected). */
  probability: z.number().min(0).max(1),
});
/** Lending as usual again, or no longer in service (another state explains it then). */
export const kioskLendingResumedSchema = z.strictObject({
  ...base,
  type: z.literal('kiosk_lending_resumed'),
  reason: z.enum(['activity', 'not_in_service']),
});

/**
 * The platform started receiving. `downSince` is when it last knew it was receiving (its graceful
 * stop, or the last event it stored before a crash): the gap is a platform outage, not the fleet's.
 */
/**
 * One node of several (NODE_NAME): its markers are its own facts, and the platform is down only
 * while no node receives (platform-outages.ts). Absent on a single node.
 */
const markerBase = { ...base, node: z.string().min(1).max(128).optional() };
export const platformStartedSchema = z.strictObject({
  ...markerBase,
  type: z.literal('platform_started'),
  downSince: timestampSchema.optional(),
});
export const platformStoppedSchema = z.strictObject({ ...markerBase, type: z.literal('platform_stopped') });
export const collectorLinkLostSchema = z.strictObject({ ...markerBase, type: z.literal('collector_link_lost') });
export const collectorLinkRegainedSchema = z.strictObject({ ...markerBase, type: z.literal('collector_link_regained') });

export const platformEventSchema = z.union([
  alertAcknowledgedSchema,
  alertAssignedSchema,
  alertCommentedSchema,
  alertResolvedSchema,
  alertEscalatedSchema,
  kioskLifecycleChangedSchema,
  maintenanceWindowSchema,
  commandSentSchema,
  kioskSilentSchema,
  kioskHeardSchema,
  kioskNotLendingSchema,
  kioskLendingResumedSchema,
  platformStartedSchema,
  platformStoppedSchema,
  collectorLinkLostSchema,
  collectorLinkRegainedSchema,
]);
export type PlatformEvent = z.infer<typeof platformEventSchema>;
export type PlatformEventType = PlatformEvent['type'];

/** Every platform event type, read off its schema so a new event cannot be left out. */
export const PLATFORM_EVENT_TYPES: readonly PlatformEventType[] = platformEventSchema.options.map((o) => o.shape.type.value);

/** Platform events about the platform itself, stored with kiosk id `''`. */
export const PLATFORM_MARKER_TYPES = [
  'platform_started',
  'platform_stopped',
  'collector_link_lost',
  'collector_link_regained',
] as const;
export type PlatformMarker = Extract<PlatformEvent, { type: (typeof PLATFORM_MARKER_TYPES)[number] }>;

export type AlertActionEvent = Extract<
  PlatformEvent,
  { type: 'alert_acknowledged' | 'alert_assigned' | 'alert_commented' | 'alert_resolved' | 'alert_escalated' }
>;
