// This file is long because it is the wire contract's table of accepted and refused messages.
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import type { z } from 'zod';
import { buildAsyncApiDocument, DEFAULT_MAX_PACKET_BYTES } from '../../protocol/asyncapi.js';
import { findStaleDocs, renderProtocolDocs, SCHEMAS_SUBDIR } from '../../protocol/export-docs.js';
import {
  ackSchema,
  CHANNELS,
  commandSchema,
  createTopics,
  eventsPayloadSchema,
  KIOSK_EVENT_TYPES,
  kioskEventSchema,
  kioskIdSchema,
  MAX_EVENTS_PER_MESSAGE,
  statusSchema,
  telemetrySchema,
  type Channel,
} from '../../protocol/index.js';
import {
  buildPayloadJsonSchema,
  PAYLOAD_EXAMPLES,
  PAYLOAD_NAMES,
  PAYLOAD_SCHEMAS,
  type PayloadName,
} from '../../protocol/json-schema.js';

const DOCS_DIR = fileURLToPath(new URL('../../docs/protocol/', import.meta.url));
const TS = '2026-11-22T08:30:00+08:00';

const CHANNEL_SCHEMAS: Record<Channel, z.ZodType> = {
  status: statusSchema,
  events: eventsPayloadSchema,
  telemetry: telemetrySchema,
  commands: commandSchema,
  acks: ackSchema,
};

function loan(n: number): Record<string, unknown> {
  return { id: `CY-001-boot1-${n}`, ts: TS, type: 'loan', itemId: `B${n}` };
}

describe('payload schemas accept what a machine or the collector may send', () => {
  const valid: { name: string; schema: z.ZodType; payload: unknown }[] = [
    ...PAYLOAD_NAMES.flatMap((name) =>
      PAYLOAD_EXAMPLES[name].map((payload, i) => ({ name: `${name} example ${i + 1}`, schema: PAYLOAD_SCHEMAS[name], payload })),
    ),
    { name: 'status with only state and ts', schema: statusSchema, payload: { state: 'online', ts: TS } },
    { name: 'status in UTC', schema: statusSchema, payload: { state: 'offline', ts: '2026-11-22T00:30:00Z' } },
    { name: 'ts with milliseconds', schema: statusSchema, payload: { state: 'online', ts: '2026-11-22T08:30:00.123+08:00' } },
    { name: 'loan without item id', schema: kioskEventSchema, payload: { id: 'a', ts: TS, type: 'loan' } },
    {
      name: 'event id as a UUID',
      schema: kioskEventSchema,
      payload: { id: '0b6e1c0e-3f55-4f7e-9f7a-1d2f3a4b5c6d', ts: TS, type: 'return' },
    },
    { name: 'event id with . and :', schema: kioskEventSchema, payload: { id: 'CY-001:boot.1:7', ts: TS, type: 'return' } },
    { name: 'event id of 128 characters', schema: kioskEventSchema, payload: { id: 'e'.repeat(128), ts: TS, type: 'loan' } },
    { name: 'events payload as a single event', schema: eventsPayloadSchema, payload: loan(1) },
    { name: 'events payload of one event in an array', schema: eventsPayloadSchema, payload: [loan(1)] },
    {
      name: `events payload of ${MAX_EVENTS_PER_MESSAGE} events`,
      schema: eventsPayloadSchema,
      payload: Array.from({ length: MAX_EVENTS_PER_MESSAGE }, (_, i) => loan(i)),
    },
    { name: 'telemetry with only ts', schema: telemetrySchema, payload: { ts: TS } },
    {
      name: 'telemetry at its bounds',
      schema: telemetrySchema,
      payload: { ts: TS, temperatureC: -50, binFillPercent: 100, paperPercent: 0, booksAvailable: 0, signalDbm: -150 },
    },
    ...(['pause', 'resume', 'withdraw', 'reboot'] as const).map((type) => ({
      name: `command ${type}`,
      schema: commandSchema as z.ZodType,
      payload: { id: 'cmd-1', type, reason: 'test', by: 'operator-li', ts: TS },
    })),
    { name: 'ack without rejected', schema: ackSchema, payload: { stored: ['CY-001-boot1-1'] } },
    {
      name: 'ack of nothing stored',
      schema: ackSchema,
      payload: { stored: [], rejected: [{ id: 'not a valid id', reason: 'bad id' }] },
    },
  ];

  test.each(valid)('accepts $name', ({ schema, payload }) => {
    const result = schema.safeParse(payload);
    expect(result.error?.issues).toBeUndefined();
    expect(result.success).toBe(true);
  });

  test('the examples cover every event type', () => {
    const types = PAYLOAD_EXAMPLES.event.map((e) => (e as { type: string }).type);
    expect(new Set(types)).toEqual(new Set(KIOSK_EVENT_TYPES));
  });

  test('an ack without rejected reads as rejecting nothing', () => {
    expect(ackSchema.parse({ stored: ['a'] })).toEqual({ stored: ['a'], rejected: [] });
  });
});

describe('payload schemas reject what the contract forbids', () => {
  const loanWithoutId = Object.fromEntries(Object.entries(loan(1)).filter(([key]) => key !== 'id'));
  const invalid: { name: string; schema: z.ZodType; payload: unknown }[] = [
    { name: 'an event without id', schema: kioskEventSchema, payload: loanWithoutId },
    { name: 'an event with an empty id', schema: kioskEventSchema, payload: { ...loan(1), id: '' } },
    { name: 'an event id with a space', schema: kioskEventSchema, payload: { ...loan(1), id: 'CY 001' } },
    { name: 'an event id of 129 characters', schema: kioskEventSchema, payload: { ...loan(1), id: 'e'.repeat(129) } },
    { name: 'an event without ts', schema: kioskEventSchema, payload: { id: 'a', type: 'loan' } },
    { name: 'a ts without offset', schema: kioskEventSchema, payload: { ...loan(1), ts: '2026-11-22T08:30:00' } },
    { name: 'a ts with a space for T', schema: kioskEventSchema, payload: { ...loan(1), ts: '2026-11-22 08:30:00+08:00' } },
    { name: 'a ts without seconds', schema: kioskEventSchema, payload: { ...loan(1), ts: '2026-11-22T08:30+08:00' } },
    { name: 'a ts as epoch milliseconds', schema: kioskEventSchema, payload: { ...loan(1), ts: 1_795_000_000_000 } },
    { name: 'a date only', schema: kioskEventSchema, payload: { ...loan(1), ts: '2026-11-22' } },
    { name: 'an unknown event type', schema: kioskEventSchema, payload: { id: 'a', ts: TS, type: 'door_opened' } },
    { name: 'an event without type', schema: kioskEventSchema, payload: { id: 'a', ts: TS } },
    { name: 'a loan with a readerId', schema: kioskEventSchema, payload: { ...loan(1), readerId: 'R998877' } },
    {
      name: 'a return with a readerCard',
      schema: kioskEventSchema,
      payload: { id: 'a', ts: TS, type: 'return', readerCard: '0001234' },
    },
    { name: 'a loan with a reader name', schema: kioskEventSchema, payload: { ...loan(1), readerName: 'Wang' } },
    {
      name: 'a reservation with a reader phone',
      schema: kioskEventSchema,
      payload: { id: 'a', ts: TS, type: 'reservation_delivered', reservationId: 'R1', phone: '13800000000' },
    },
    {
      name: 'a fault without severity',
      schema: kioskEventSchema,
      payload: { id: 'a', ts: TS, type: 'fault', faultId: 'f', component: 'door', code: 'X' },
    },
    {
      name: 'a fault with an unknown component',
      schema: kioskEventSchema,
      payload: { id: 'a', ts: TS, type: 'fault', faultId: 'f', component: 'coffee', code: 'X', severity: 'minor' },
    },
    {
      name: 'a fault with an unknown severity',
      schema: kioskEventSchema,
      payload: { id: 'a', ts: TS, type: 'fault', faultId: 'f', component: 'door', code: 'X', severity: 'high' },
    },
    { name: 'a fault_cleared without faultId', schema: kioskEventSchema, payload: { id: 'a', ts: TS, type: 'fault_cleared' } },
    {
      name: 'an inspection with an unknown result',
      schema: kioskEventSchema,
      payload: { id: 'a', ts: TS, type: 'inspection', inspector: 'c', result: 'maybe' },
    },
    {
      name: 'a command_ack without commandId',
      schema: kioskEventSchema,
      payload: { id: 'a', ts: TS, type: 'command_ack', result: 'done' },
    },
    { name: 'an empty events array', schema: eventsPayloadSchema, payload: [] },
    {
      name: `an events array of ${MAX_EVENTS_PER_MESSAGE + 1}`,
      schema: eventsPayloadSchema,
      payload: Array.from({ length: MAX_EVENTS_PER_MESSAGE + 1 }, (_, i) => loan(i)),
    },
    {
      name: 'an events array with one bad element',
      schema: eventsPayloadSchema,
      payload: [loan(1), { ...loan(2), readerId: 'R1' }],
    },
    { name: 'a status with an unknown state', schema: statusSchema, payload: { state: 'paused', ts: TS } },
    { name: 'a status with a readerId', schema: statusSchema, payload: { state: 'online', ts: TS, readerId: 'R1' } },
    { name: 'a status without ts', schema: statusSchema, payload: { state: 'online' } },
    { name: 'a status with an empty bootId', schema: statusSchema, payload: { state: 'online', ts: TS, bootId: '' } },
    { name: 'telemetry with an unknown reading', schema: telemetrySchema, payload: { ts: TS, humidityPercent: 40 } },
    { name: 'telemetry over 100 %', schema: telemetrySchema, payload: { ts: TS, binFillPercent: 101 } },
    { name: 'telemetry with a fractional book count', schema: telemetrySchema, payload: { ts: TS, booksAvailable: 1.5 } },
    { name: 'telemetry with a positive dBm', schema: telemetrySchema, payload: { ts: TS, signalDbm: 3 } },
    { name: 'telemetry without ts', schema: telemetrySchema, payload: { paperPercent: 50 } },
    {
      name: 'a command of an unknown type',
      schema: commandSchema,
      payload: { id: 'c', type: 'explode', reason: 'r', by: 'o', ts: TS },
    },
    { name: 'a command without reason', schema: commandSchema, payload: { id: 'c', type: 'pause', by: 'o', ts: TS } },
    { name: 'an ack without stored', schema: ackSchema, payload: { rejected: [] } },
    { name: 'an ack with an unknown key', schema: ackSchema, payload: { stored: [], kioskId: 'CY-001' } },
    { name: 'an ack rejection without reason', schema: ackSchema, payload: { stored: [], rejected: [{ id: 'a' }] } },
    { name: 'a JSON string instead of an object', schema: statusSchema, payload: JSON.stringify({ state: 'online', ts: TS }) },
  ];

  test.each(invalid)('rejects $name', ({ schema, payload }) => {
    expect(schema.safeParse(payload).success).toBe(false);
  });
});

describe('topics', () => {
  const roots = ['kiosks', 'city/libs', 'a/b/c'];
  const ids = ['CY-001', 'a', 'A_b-9', 'x'.repeat(64)];
  const roundTrips = roots.flatMap((root) => CHANNELS.flatMap((channel) => ids.map((kioskId) => ({ root, channel, kioskId }))));

  test.each(roundTrips)('$root: $kioskId/$channel formats and parses back', ({ root, channel, kioskId }) => {
    const topics = createTopics(root);
    const topic = topics.topic(kioskId, channel);
    expect(topic).toBe(`${root}/${kioskId}/${channel}`);
    expect(topics.parse(topic)).toEqual({ ok: true, kioskId, channel });
  });

  test('the default root is kiosks', () => {
    expect(createTopics().topic('CY-001', 'events')).toBe('kiosks/CY-001/events');
  });

  test.each(roots)('%s: a subscription filter covers every kiosk', (root) => {
    expect(createTopics(root).everyKiosk('events')).toBe(`${root}/+/events`);
  });

  const failures: { root: string; topic: string; reason: string }[] = [
    { root: 'kiosks', topic: 'other/CY-001/events', reason: 'outside_root' },
    { root: 'kiosks', topic: 'kiosksX/CY-001/events', reason: 'outside_root' },
    { root: 'kiosks', topic: 'kiosks', reason: 'outside_root' },
    { root: 'kiosks', topic: '/kiosks/CY-001/events', reason: 'outside_root' },
    { root: 'kiosks', topic: 'Kiosks/CY-001/events', reason: 'outside_root' },
    { root: 'city/libs', topic: 'kiosks/CY-001/events', reason: 'outside_root' },
    { root: 'city/libs', topic: 'city/CY-001/events', reason: 'outside_root' },
    { root: 'city/libs', topic: 'city/libsX/CY-001/events', reason: 'outside_root' },
    { root: 'kiosks', topic: 'kiosks/CY-001/unknown', reason: 'unknown_channel' },
    { root: 'kiosks', topic: 'kiosks/CY-001/Events', reason: 'unknown_channel' },
    { root: 'kiosks', topic: 'kiosks/CY-001/', reason: 'unknown_channel' },
    { root: 'kiosks', topic: 'kiosks/CY-001', reason: 'unknown_channel' },
    { root: 'kiosks', topic: 'kiosks/CY-001/events/extra', reason: 'unknown_channel' },
    { root: 'kiosks', topic: 'kiosks/CY-001/events/', reason: 'unknown_channel' },
    { root: 'kiosks', topic: 'kiosks/#', reason: 'unknown_channel' },
    { root: 'city/libs', topic: 'city/libs/CY-001/status/x', reason: 'unknown_channel' },
    { root: 'city/libs', topic: 'city/libs/CY-001', reason: 'unknown_channel' },
    { root: 'kiosks', topic: 'kiosks//events', reason: 'bad_kiosk_id' },
    { root: 'kiosks', topic: 'kiosks/CY 001/events', reason: 'bad_kiosk_id' },
    { root: 'kiosks', topic: 'kiosks/CY.001/events', reason: 'bad_kiosk_id' },
    { root: 'kiosks', topic: 'kiosks/+/events', reason: 'bad_kiosk_id' },
    { root: 'kiosks', topic: `kiosks/${'x'.repeat(65)}/events`, reason: 'bad_kiosk_id' },
    { root: 'kiosks', topic: 'kiosks/机器-1/events', reason: 'bad_kiosk_id' },
    { root: 'city/libs', topic: 'city/libs/CY:001/acks', reason: 'bad_kiosk_id' },
  ];

  test.each(failures)('$root: "$topic" is refused as $reason', ({ root, topic, reason }) => {
    expect(createTopics(root).parse(topic)).toEqual({ ok: false, reason });
  });

  test.each(['', ' ', 'CY 001', 'CY/001', 'CY+', 'CY#', 'CY.001', 'x'.repeat(65), 'ÄÖ'])('kiosk id %j is refused', (id) => {
    expect(kioskIdSchema.safeParse(id).success).toBe(false);
  });

  test.each(['', '/', 'a/', '/a', 'a//b', 'a/+/b', 'a/#', 'a b', '$SYS'])('topic root %j is refused', (root) => {
    expect(() => createTopics(root)).toThrow();
  });
});

describe('published JSON Schema and AsyncAPI documents', () => {
  test('the files in docs/protocol are what the generator produces now (run npm run docs:protocol)', async () => {
    const files = renderProtocolDocs();
    for (const [path, text] of files) {
      expect(await readFile(`${DOCS_DIR}${path}`, 'utf8'), path).toBe(text);
    }
    const onDisk = (await readdir(`${DOCS_DIR}${SCHEMAS_SUBDIR}`)).map((name) => `${SCHEMAS_SUBDIR}/${name}`);
    expect(onDisk.sort()).toEqual([...files.keys()].filter((path) => path.startsWith(`${SCHEMAS_SUBDIR}/`)).sort());
    expect(await findStaleDocs(DOCS_DIR, files)).toEqual([]);
  });

  test('generation is deterministic', () => {
    expect(renderProtocolDocs()).toEqual(renderProtocolDocs());
  });

  test('every payload has a draft 2020-12 schema that closes its objects', () => {
    for (const name of PAYLOAD_NAMES) {
      const schema = buildPayloadJsonSchema(name);
      expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
      expect(JSON.stringify(schema)).not.toContain('"additionalProperties":{}');
    }
    expect(buildPayloadJsonSchema('status').additionalProperties).toBe(false);
  });

  test('the ack schema describes what a publisher must send: rejected is optional', () => {
    const schema = buildPayloadJsonSchema('ack');
    expect(schema.required).toEqual(['stored']);
  });

  test('the events payload schema carries the batch limit', () => {
    const schema = buildPayloadJsonSchema('events-payload') as { anyOf: { maxItems?: number }[] };
    expect(schema.anyOf.map((branch) => branch.maxItems)).toContain(MAX_EVENTS_PER_MESSAGE);
  });

  const expectedOperations: { channel: Channel; action: string; qos: number; retain: boolean }[] = [
    { channel: 'status', action: 'send', qos: 1, retain: true },
    { channel: 'events', action: 'send', qos: 1, retain: false },
    { channel: 'telemetry', action: 'send', qos: 0, retain: false },
    { channel: 'commands', action: 'receive', qos: 1, retain: false },
    { channel: 'acks', action: 'receive', qos: 1, retain: false },
  ];

  test.each(expectedOperations)(
    'AsyncAPI: the kiosk does "$action" on $channel at QoS $qos, retain $retain',
    ({ channel, action, qos, retain }) => {
      const doc = buildAsyncApiDocument() as {
        channels: Record<string, { address: string; parameters: Record<string, unknown> }>;
        operations: Record<
          string,
          { action: string; channel: { $ref: string }; bindings: { mqtt: { qos: number; retain: boolean } } }
        >;
      };
      expect(doc.channels[channel]?.address).toBe(`kiosks/{kioskId}/${channel}`);
      expect(Object.keys(doc.channels[channel]?.parameters ?? {})).toEqual(['kioskId']);
      const ops = Object.values(doc.operations).filter((op) => op.channel.$ref === `#/channels/${channel}`);
      expect(ops).toHaveLength(1);
      expect(ops[0]?.action).toBe(action);
      expect(ops[0]?.bindings.mqtt).toMatchObject({ qos, retain });
    },
  );

  test('AsyncAPI: server, security, limits, and a custom root', () => {
    const doc = buildAsyncApiDocument({ topicRoot: 'city/libs' }) as {
      asyncapi: string;
      info: { description: string };
      servers: { local: { host: string; protocol: string; security: unknown[] } };
      channels: Record<string, { address: string }>;
      components: { securitySchemes: Record<string, { type: string }>; schemas: Record<string, unknown> };
    };
    expect(doc.asyncapi).toBe('3.0.0');
    expect(doc.servers.local).toMatchObject({ host: 'localhost:1883', protocol: 'mqtt' });
    expect(doc.components.securitySchemes.kioskCredentials?.type).toBe('userPassword');
    expect(doc.channels.events?.address).toBe('city/libs/{kioskId}/events');
    expect(doc.info.description).toContain(`${MAX_EVENTS_PER_MESSAGE} events per message`);
    expect(doc.info.description).toContain(`${DEFAULT_MAX_PACKET_BYTES} bytes`);
    expect(Object.keys(doc.components.schemas)).toEqual(
      expect.arrayContaining(['KioskStatus', 'KioskEvent', 'EventsPayload', 'Telemetry', 'KioskCommand', 'EventAck']),
    );
    // Every $ref in the document points inside it.
    const refs = JSON.stringify(doc).match(/"\$ref":"[^"]*"/g) ?? [];
    for (const ref of refs) expect(ref).toMatch(/"\$ref":"#\/(components|channels)\//);
  });
});

describe('the vendor guide (docs/protocol/README.md)', () => {
  const readme = async (): Promise<string> => readFile(`${DOCS_DIR}README.md`, 'utf8');

  async function jsonBlocks(): Promise<{ tag: string; payload: unknown }[]> {
    const text = await readme();
    return [...text.matchAll(/```json([^\n]*)\n([\s\S]*?)```/g)].map((m) => ({
      tag: (m[1] ?? '').trim(),
      payload: JSON.parse(m[2] ?? '') as unknown,
    }));
  }

  test('every json block is tagged with the payload it shows, and every payload is shown', async () => {
    const blocks = await jsonBlocks();
    const tags = new Set(blocks.map((b) => b.tag));
    const known = new Set<string>([...PAYLOAD_NAMES, ...PAYLOAD_NAMES.map((name) => `invalid-${name}`)]);
    for (const tag of tags) expect(known, `json block tagged "${tag}"`).toContain(tag);
    for (const name of PAYLOAD_NAMES) expect(tags, name).toContain(name);
    const shownTypes = blocks.filter((b) => b.tag === 'event').map((b) => (b.payload as { type: string }).type);
    expect(new Set(shownTypes)).toEqual(new Set(KIOSK_EVENT_TYPES));
  });

  test('every example validates against the zod schemas, and every counter-example fails', async () => {
    for (const { tag, payload } of await jsonBlocks()) {
      const isCounterExample = tag.startsWith('invalid-');
      const schema = PAYLOAD_SCHEMAS[tag.replace(/^invalid-/, '') as PayloadName];
      const result = schema.safeParse(payload);
      expect(result.success, `${tag}: ${JSON.stringify(payload)} ${result.error?.message ?? ''}`).toBe(!isCounterExample);
    }
  });

  test('every mosquitto_pub payload and will is valid for its topic', async () => {
    const text = await readme();
    const commands = [...text.matchAll(/```sh\n([\s\S]*?)```/g)]
      .map((m) => (m[1] ?? '').replace(/\\\n\s*/g, ' '))
      .flatMap((block) => block.split('\n'))
      .filter((line) => line.startsWith('mosquitto_pub'));
    expect(commands.length).toBeGreaterThan(3);
    const topics = createTopics();
    const pairs: [RegExp, RegExp][] = [
      [/ -t (\S+)/, / -m '([^']*)'/],
      [/ --will-topic (\S+)/, / --will-payload '([^']*)'/],
    ];
    for (const command of commands) {
      for (const [topicPattern, payloadPattern] of pairs) {
        const topic = topicPattern.exec(command)?.[1];
        const payload = payloadPattern.exec(command)?.[1];
        if (topic === undefined || payload === undefined) continue;
        const parsed = topics.parse(topic);
        expect(parsed.ok, topic).toBe(true);
        if (!parsed.ok) continue;
        expect(parsed.kioskId).toBe(/ -i (\S+)/.exec(command)?.[1]);
        const result = CHANNEL_SCHEMAS[parsed.channel].safeParse(JSON.parse(payload));
        expect(result.success, `${topic} ${payload} ${result.error?.message ?? ''}`).toBe(true);
      }
    }
  });

  test('sample subscriber output is valid for its topic', async () => {
    const text = await readme();
    const lines = [...text.matchAll(/```text\n([\s\S]*?)```/g)].flatMap((m) => (m[1] ?? '').split('\n'));
    const samples = lines.map((line) => /^(\S+) ([[{].*)$/.exec(line)).filter((m) => m !== null);
    expect(samples.length).toBeGreaterThan(0);
    for (const [, topic = '', payload = ''] of samples) {
      const parsed = createTopics().parse(topic);
      expect(parsed.ok, topic).toBe(true);
      if (parsed.ok) expect(CHANNEL_SCHEMAS[parsed.channel].safeParse(JSON.parse(payload)).success, payload).toBe(true);
    }
  });

  test('the limits it states are the ones the schemas and the broker enforce', async () => {
    const text = await readme();
    expect(text).toContain(`up to ${MAX_EVENTS_PER_MESSAGE} events`);
    expect(text).toContain(`at most ${MAX_EVENTS_PER_MESSAGE} events per message`);
    expect(text).toContain(`${DEFAULT_MAX_PACKET_BYTES / 1024} KiB`);
  });
});
