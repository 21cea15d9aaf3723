import { z } from 'zod';
import { ackSchema } from './acks.js';
import { commandSchema } from './commands.js';
import {
  commandAckEventSchema,
  componentSchema,
  eventIdSchema,
  eventsPayloadSchema,
  faultClearedEventSchema,
  faultEventSchema,
  inspectionEventSchema,
  kioskEventSchema,
  loanEventSchema,
  MAX_EVENTS_PER_MESSAGE,
  refusalReasonSchema,
  renewalEventSchema,
  reservationDeliveredEventSchema,
  returnEventSchema,
  severitySchema,
  transactionOperationSchema,
  transactionRefusedEventSchema,
} from './events.js';
import { statusSchema } from './status.js';
import { telemetrySchema } from './telemetry.js';
import { timestampSchema } from './timestamp.js';

/**
 * JSON Schema documents of the wire contract, generated from the zod schemas so that the published
 * contract cannot drift from what the collector enforces. Pure: no I/O.
 */

/** A JSON Schema document (or an AsyncAPI Schema Object) as plain JSON data. */
export type JsonSchema = { [keyword: string]: unknown };

/** The payloads published for vendors, by the stem of their file name (`{stem}.schema.json`). */
export const PAYLOAD_SCHEMAS = {
  status: statusSchema,
  event: kioskEventSchema,
  'events-payload': eventsPayloadSchema,
  telemetry: telemetrySchema,
  command: commandSchema,
  ack: ackSchema,
} as const;
export type PayloadName = keyof typeof PAYLOAD_SCHEMAS;
export const PAYLOAD_NAMES = Object.keys(PAYLOAD_SCHEMAS) as PayloadName[];

/** The name each payload goes by in AsyncAPI `components.schemas` (the TypeScript type's name). */
export const PAYLOAD_COMPONENT_NAMES: Readonly<Record<PayloadName, string>> = {
  status: 'KioskStatus',
  event: 'KioskEvent',
  'events-payload': 'EventsPayload',
  telemetry: 'Telemetry',
  command: 'KioskCommand',
  ack: 'EventAck',
};

/** Valid examples of every payload; tests check each one against its zod schema. */
export const PAYLOAD_EXAMPLES: Readonly<Record<PayloadName, readonly unknown[]>> = {
  status: [
    { state: 'online', ts: '2026-11-22T08:30:00+08:00', firmware: '4.2.1', bootId: 'boot1' },
    { state: 'offline', ts: '2026-11-22T08:30:00+08:00', reason: 'connection lost', bootId: 'boot1' },
    { state: 'offline', ts: '2026-11-22T21:00:00+08:00', reason: 'shutdown', announced: true, bootId: 'boot1' },
  ],
  event: [
    { id: 'CY-001-boot1-1', ts: '2026-11-22T08:30:00+08:00', type: 'loan', itemId: 'B000123' },
    { id: 'CY-001-boot1-2', ts: '2026-11-22T08:31:10+08:00', type: 'return', itemId: 'B000456' },
    { id: 'CY-001-boot1-20', ts: '2026-11-22T08:32:00+08:00', type: 'renewal', itemId: 'B000321' },
    {
      id: 'CY-001-boot1-21',
      ts: '2026-11-21T23:10:00+08:00',
      type: 'loan',
      itemId: 'B000654',
      forwardedOffline: true,
    },
    {
      id: 'CY-001-boot1-22',
      ts: '2026-11-22T08:33:00+08:00',
      type: 'transaction_refused',
      operation: 'loan',
      reason: 'item_on_hold',
      itemId: 'B000987',
    },
    {
      id: 'CY-001-boot1-3',
      ts: '2026-11-22T09:02:00+08:00',
      type: 'fault',
      faultId: 'CY-001-f-17',
      component: 'rfid_reader',
      code: 'RFID_TIMEOUT',
      severity: 'critical',
      blocksLending: true,
      message: 'RFID reader does not answer',
    },
    { id: 'CY-001-boot1-4', ts: '2026-11-22T10:15:00+08:00', type: 'fault_cleared', faultId: 'CY-001-f-17' },
    {
      id: 'CY-001-boot1-5',
      ts: '2026-11-22T11:00:00+08:00',
      type: 'inspection',
      inspector: 'crew-07',
      result: 'issues_found',
      checklist: { screen: 'ok', printer: 'issue', door: 'ok' },
      notes: 'printer paper jammed, cleared',
    },
    {
      id: 'CY-001-boot1-6',
      ts: '2026-11-22T12:40:00+08:00',
      type: 'reservation_delivered',
      reservationId: 'R-2026-004512',
    },
    {
      id: 'CY-001-boot1-7',
      ts: '2026-11-22T13:05:02+08:00',
      type: 'command_ack',
      commandId: 'cmd-8812',
      result: 'done',
    },
  ],
  'events-payload': [
    [
      { id: 'CY-001-boot1-8', ts: '2026-11-22T13:10:00+08:00', type: 'loan', itemId: 'B000789' },
      { id: 'CY-001-boot1-9', ts: '2026-11-22T13:12:30+08:00', type: 'return' },
    ],
  ],
  telemetry: [
    {
      ts: '2026-11-22T08:35:00+08:00',
      temperatureC: 21.5,
      binFillPercent: 62,
      paperPercent: 80,
      booksAvailable: 312,
      signalDbm: -71,
    },
  ],
  command: [
    {
      id: 'cmd-8812',
      type: 'pause',
      reason: 'road works in front of the machine',
      by: 'operator-li',
      ts: '2026-11-22T13:05:00+08:00',
    },
  ],
  ack: [
    { stored: ['CY-001-boot1-1', 'CY-001-boot1-2'], rejected: [] },
    { stored: ['CY-001-boot1-3'], rejected: [{ id: 'CY-001-boot1-4', reason: 'faultId is required' }] },
  ],
};

interface SchemaMeta {
  id?: string;
  title?: string;
  description?: string;
  examples?: unknown[];
}

/**
 * Titles and descriptions for the generated documents, kept in a registry of our own so that the
 * protocol modules stay plain zod. Every payload but `root` gets an `id`: a registry conversion
 * emits only schemas with one (the AsyncAPI components), and a single-schema conversion moves one
 * it meets inside into `$defs` (the events payload refers to `#/$defs/KioskEvent`), but must not
 * see one on its root, or zod moves the whole document into `$defs`.
 */
function createProtocolRegistry(root?: PayloadName): z.core.$ZodRegistry<SchemaMeta> {
  const registry = z.registry<SchemaMeta>();
  const describe = (schema: z.ZodType, meta: SchemaMeta): void => {
    registry.add(schema, meta);
  };
  const payload = (name: PayloadName, description: string): void => {
    const componentName = PAYLOAD_COMPONENT_NAMES[name];
    describe(PAYLOAD_SCHEMAS[name], {
      ...(name === root ? {} : { id: componentName }),
      title: componentName,
      description,
      examples: [...PAYLOAD_EXAMPLES[name]],
    });
  };

  describe(timestampSchema, {
    id: 'Timestamp',
    description:
      'ISO 8601 date-time with seconds and an explicit offset (`Z` or `+08:00`), e.g. `2026-11-22T08:30:00+08:00`. ' +
      'The time the thing happened, on the machine clock (keep it NTP-synchronised).',
  });
  describe(eventIdSchema, {
    id: 'EventId',
    description:
      'Unique per event and chosen by the machine: a UUID or `{kioskId}-{bootId}-{seq}`. ' +
      'A resend must reuse the same id: the collector stores each id once.',
  });
  describe(componentSchema, { id: 'Component', description: 'The peripheral a fault is about.' });
  describe(severitySchema, {
    id: 'Severity',
    description: '`critical`: the machine cannot serve; `major`: a service is degraded; `minor`: no impact yet.',
  });

  describe(loanEventSchema, { id: 'LoanEvent', description: 'An item was borrowed at the machine.' });
  describe(loanEventSchema.shape.itemId, {
    description: 'The item (book) id, never anything that identifies the reader.',
  });
  describe(loanEventSchema.shape.forwardedOffline, {
    description:
      'True when the machine made the transaction while it could not reach the library system and forwarded it ' +
      'later; `ts` is still when it happened.',
  });
  describe(returnEventSchema, { id: 'ReturnEvent', description: 'An item was returned at the machine.' });
  describe(renewalEventSchema, {
    id: 'RenewalEvent',
    description: 'A loan was renewed at the machine. Counted apart from loans (ISO 2789), never as a loan.',
  });
  describe(transactionRefusedEventSchema, {
    id: 'TransactionRefusedEvent',
    description:
      'The library system refused a loan, return or renewal: a normal answer, not a fault. Counted per machine and reason.',
  });
  describe(transactionOperationSchema, { id: 'TransactionOperation', description: 'The transaction that was refused.' });
  describe(refusalReasonSchema, {
    id: 'RefusalReason',
    description:
      "Why, from a closed list (`other` when the library system does not say). Never the library system's own " +
      'message: it may name the reader.',
  });
  describe(faultEventSchema, {
    id: 'FaultEvent',
    description: 'A fault began. It stays open until a `fault_cleared` event with the same `faultId`.',
  });
  describe(faultEventSchema.shape.faultId, {
    description: 'Chosen by the machine, unique per fault occurrence; the matching `fault_cleared` repeats it.',
  });
  describe(faultEventSchema.shape.code, { description: "The vendor's fault code, e.g. `RFID_TIMEOUT`." });
  describe(faultEventSchema.shape.blocksLending, {
    description: 'True when readers cannot borrow or return while the fault lasts.',
  });
  describe(faultClearedEventSchema, { id: 'FaultClearedEvent', description: 'A fault ended.' });
  describe(inspectionEventSchema, {
    id: 'InspectionEvent',
    description: 'A maintenance crew member inspected the machine (due once a week).',
  });
  describe(inspectionEventSchema.shape.inspector, {
    description: 'Staff id of the inspector (a crew member, never a reader).',
  });
  describe(inspectionEventSchema.shape.checklist, {
    description: 'Checklist item name to outcome, e.g. `{"screen": "ok", "printer": "issue"}`.',
  });
  describe(reservationDeliveredEventSchema, {
    id: 'ReservationDeliveredEvent',
    description: 'A reserved item was placed in the machine for pickup.',
  });
  describe(commandAckEventSchema, {
    id: 'CommandAckEvent',
    description:
      "The machine's answer to a command: `accepted` (will do), `rejected` (will not, say why in `detail`), " +
      '`done` (carried out).',
  });
  describe(commandAckEventSchema.shape.commandId, { description: 'The `id` of the command being answered.' });

  payload(
    'status',
    'Retained, QoS 1, on `{root}/{kioskId}/status`. Publish `online` after every connect; register an `offline` ' +
      'Last Will with the same `bootId` at connect time so that a late will from an earlier connection can be ' +
      'told apart from the current one.',
  );
  describe(statusSchema.shape.bootId, {
    description: 'Fresh for every connection (or boot); the same in the online status and its Last Will.',
  });
  describe(statusSchema.shape.firmware, { description: 'Firmware version, free form.' });
  describe(statusSchema.shape.reason, { description: 'Why the state changed, free form, for people.' });
  describe(statusSchema.shape.announced, {
    description: 'On `offline`: true when the machine announced the stop beforehand (a planned shutdown), not a lost link.',
  });
  payload('event', 'One event. `type` selects the variant; unknown keys are refused (no reader identity, ever).');
  payload(
    'events-payload',
    `The payload of \`{root}/{kioskId}/events\`: one event, or an array of 1 to ${MAX_EVENTS_PER_MESSAGE} events ` +
      '(an outbox flush). The collector checks array elements one by one, so one bad event never costs the good ones.',
  );
  payload('telemetry', 'Health readings, QoS 0, on `{root}/{kioskId}/telemetry`. Every reading is optional.');
  describe(telemetrySchema.shape.temperatureC, { description: 'Cabinet temperature in °C.' });
  describe(telemetrySchema.shape.binFillPercent, { description: 'Return bin fill level, 0–100 %.' });
  describe(telemetrySchema.shape.paperPercent, { description: 'Receipt paper left, 0–100 %.' });
  describe(telemetrySchema.shape.booksAvailable, { description: 'Items on the shelves available to borrow.' });
  describe(telemetrySchema.shape.signalDbm, { description: 'Mobile or Wi-Fi signal strength in dBm.' });
  payload(
    'command',
    'Published to the machine on `{root}/{kioskId}/commands`, QoS 1. The machine answers with a `command_ack` ' +
      'event whose `commandId` is this `id`.',
  );
  describe(commandSchema.shape.by, { description: 'The operator who ordered the command.' });
  payload(
    'ack',
    'Published by the collector on `{root}/{kioskId}/acks`, QoS 1, once events are durably stored. Drop from ' +
      'the outbox every id listed in `stored` or `rejected`; keep (and later resend) every other event. ' +
      '`rejected` may be absent: read it as an empty list.',
  );
  describe(ackSchema.shape.stored, {
    description: 'Ids now durably stored (duplicates of events stored earlier included).',
  });
  describe(ackSchema.shape.rejected, {
    description: 'Events the collector will never store (kept in its dead-letter record), with the reason.',
  });
  return registry;
}

const COMMON_PARAMS = { io: 'input', unrepresentable: 'throw', cycles: 'throw', reused: 'inline' } as const;

/**
 * The JSON Schema (draft 2020-12) of one payload: self-contained (shared parts under `$defs`), and
 * of the input side (what a publisher must send; e.g. the ack's `rejected`, which has a default, is
 * optional).
 */
export function buildPayloadJsonSchema(name: PayloadName): JsonSchema {
  const registry = createProtocolRegistry(name);
  return z.toJSONSchema(PAYLOAD_SCHEMAS[name], {
    ...COMMON_PARAMS,
    target: 'draft-2020-12',
    metadata: registry,
  }) as JsonSchema;
}

/** Every payload's JSON Schema, by payload name. */
export function buildPayloadJsonSchemas(): Record<PayloadName, JsonSchema> {
  return Object.fromEntries(PAYLOAD_NAMES.map((name) => [name, buildPayloadJsonSchema(name)])) as Record<PayloadName, JsonSchema>;
}

/** The file a payload's JSON Schema is published under, in `docs/protocol/schemas/`. */
export function payloadSchemaFileName(name: PayloadName): string {
  return `${name}.schema.json`;
}

/**
 * The same schemas as AsyncAPI Schema Objects (the AsyncAPI 3.0 default schema format, a superset of
 * JSON Schema draft-07) for `components.schemas`: payloads and their shared parts, each under its
 * own name and referring to the others as `#/components/schemas/{name}`.
 */
export function buildAsyncApiSchemaComponents(): Record<string, JsonSchema> {
  const registry = createProtocolRegistry();
  const { schemas } = z.toJSONSchema(registry, {
    ...COMMON_PARAMS,
    metadata: registry,
    target: 'draft-07',
    uri: (id) => `#/components/schemas/${id}`,
  });
  // The dialect and the fragment `$id` belong to standalone documents, not to AsyncAPI components.
  return Object.fromEntries(
    Object.entries(schemas).map(([id, schema]) => {
      const component: JsonSchema = { ...schema };
      delete component.$schema;
      delete component.$id;
      return [id, component];
    }),
  );
}
