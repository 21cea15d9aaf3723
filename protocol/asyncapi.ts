import { MAX_EVENTS_PER_MESSAGE } from './events.js';
import {
  buildAsyncApiSchemaComponents,
  PAYLOAD_COMPONENT_NAMES,
  PAYLOAD_EXAMPLES,
  type JsonSchema,
  type PayloadName,
} from './json-schema.js';
import { CHANNELS, DEFAULT_TOPIC_ROOT, topicRootSchema, type Channel } from './topics.js';

/**
 * The wire contract as an AsyncAPI 3.0 document, written from the kiosk's point of view: `send` is
 * what a machine publishes, `receive` what it subscribes to. Pure: no I/O.
 */

export const ASYNCAPI_VERSION = '3.0.0';
/** Version of the wire contract itself; bump the major on any change a deployed machine would notice. */
export const PROTOCOL_VERSION = '1.0.0';
/** The broker's default maximum MQTT packet size (fixed header included), in bytes. */
export const DEFAULT_MAX_PACKET_BYTES = 256 * 1024;
/** Recommended MQTT keepalive; brokers drop a silent client after 1.5 × keepalive [MQTT-3.1.2-24]. */
export const RECOMMENDED_KEEPALIVE_SECONDS = 30;
/** The version of the AsyncAPI MQTT bindings used below. */
const MQTT_BINDING_VERSION = '0.2.0';

export interface AsyncApiOptions {
  /** Topic root the channels live under; default `kiosks`. */
  topicRoot?: string;
  /** `host:port` of the server entry; default `localhost:1883` (what `npm start` runs). */
  serverHost?: string;
  /** The broker's maximum packet size, in bytes; default {@link DEFAULT_MAX_PACKET_BYTES}. */
  maxPacketBytes?: number;
  /** Keepalive a machine should use, in seconds; default {@link RECOMMENDED_KEEPALIVE_SECONDS}. */
  keepAliveSeconds?: number;
}

/** An AsyncAPI document as plain JSON data. */
export type AsyncApiDocument = JsonSchema;

interface ChannelSpec {
  payload: PayloadName;
  messageKey: string;
  title: string;
  description: string;
  operationId: string;
  action: 'send' | 'receive';
  qos: 0 | 1;
  retain: boolean;
  operationSummary: string;
}

const CHANNEL_SPECS: Readonly<Record<Channel, ChannelSpec>> = {
  status: {
    payload: 'status',
    messageKey: 'kioskStatus',
    title: 'Machine status',
    description:
      'Retained, so a new subscriber sees every machine at once. The machine publishes `online` (with its ' +
      '`bootId` and `firmware`) right after each CONNACK, and registers at CONNECT a Last Will on this topic: ' +
      '`offline`, QoS 1, retained, carrying the same `bootId`. The broker publishes the will when the ' +
      'connection is lost without a DISCONNECT; on a clean shutdown the machine publishes the same `offline` ' +
      'status itself before disconnecting. A will whose `bootId` differs from the current `online` status ' +
      'comes from an older connection and is ignored.',
    operationId: 'sendStatus',
    action: 'send',
    qos: 1,
    retain: true,
    operationSummary: 'Announce online after connecting; offline as Last Will and on clean shutdown.',
  },
  events: {
    payload: 'events-payload',
    messageKey: 'kioskEvents',
    title: 'Events',
    description:
      'Everything that happens at the machine, as immutable events: one event per message, or an array of up ' +
      `to ${MAX_EVENTS_PER_MESSAGE} (an outbox flush). Every event stays in the machine's on-disk outbox until ` +
      'its id comes back on the acks topic.',
    operationId: 'sendEvents',
    action: 'send',
    qos: 1,
    retain: false,
    operationSummary: 'Publish outbox events; resend every unacknowledged one after each reconnect.',
  },
  telemetry: {
    payload: 'telemetry',
    messageKey: 'telemetry',
    title: 'Health readings',
    description:
      'Periodic health readings (a few per minute at most). QoS 0: a lost reading is replaced by the next one, ' +
      'so telemetry never goes through the outbox.',
    operationId: 'sendTelemetry',
    action: 'send',
    qos: 0,
    retain: false,
    operationSummary: 'Publish health readings.',
  },
  commands: {
    payload: 'command',
    messageKey: 'kioskCommand',
    title: 'Commands',
    description:
      'Operator orders for this machine: pause, resume, withdraw, reboot. The machine answers each with a ' +
      '`command_ack` event (through the outbox, like every event) whose `commandId` is the command `id`. A ' +
      'command can arrive twice (QoS 1) or late (queued by the broker while the machine was away): answer a ' +
      'repeated `id` again without acting twice, and judge a late one by its `ts`.',
    operationId: 'receiveCommands',
    action: 'receive',
    qos: 1,
    retain: false,
    operationSummary: 'Subscribe to own commands; answer each with a command_ack event.',
  },
  acks: {
    payload: 'ack',
    messageKey: 'eventAck',
    title: 'Event acknowledgements',
    description:
      "The collector's application-level acknowledgement, published once events are durably stored (a " +
      "broker's PUBACK is not one: it may come before the message is stored). Drop from the outbox every id in " +
      '`stored` or `rejected`; keep every other event and resend it after the next reconnect.',
    operationId: 'receiveAcks',
    action: 'receive',
    qos: 1,
    retain: false,
    operationSummary: 'Subscribe to own acks; drop acknowledged events from the outbox.',
  },
};

function describeContract(topicRoot: string, maxPacketBytes: number, keepAliveSeconds: number): string {
  return [
    'The MQTT contract between 24-hour self-service library machines ("kiosks") and the fleet monitoring ',
    'platform, generated from the zod schemas the collector enforces (`protocol/*.ts`). Operations are ',
    "written from the machine's point of view: `send` = the machine publishes, `receive` = it subscribes.",
    '',
    '## Connecting',
    `- MQTT 3.1.1 over TCP. Client id = username = the kiosk id (\`[A-Za-z0-9_-]{1,64}\`); password = the `,
    "  machine's token. The broker refuses any other client id.",
    `- Keepalive ${keepAliveSeconds} s is recommended: the broker declares the machine gone after 1.5 × keepalive.`,
    `- Last Will: \`${topicRoot}/{kioskId}/status\`, QoS 1, retained, \`{"state":"offline",...}\` with the same `,
    '  `bootId` as the `online` status published right after connecting.',
    '- A machine publishes only under its own id and subscribes only to its own `commands` and `acks`.',
    '',
    '## The outbox and the ack rule (at least once in, exactly once stored)',
    '- Write every event to an on-disk outbox before publishing it. Give each a unique `id` and reuse it on',
    '  every resend: the collector stores each id once (appends are idempotent).',
    `- Keep an event until its id comes back in \`stored\` or \`rejected\` on \`${topicRoot}/{kioskId}/acks\`.`,
    "  A broker's PUBACK is not enough.",
    '- After every reconnect, subscribe to `acks` first, then resend every unacknowledged event.',
    '',
    '## Limits',
    `- At most ${MAX_EVENTS_PER_MESSAGE} events per message (MAX_EVENTS_PER_MESSAGE), and at most `,
    `  ${maxPacketBytes} bytes (${maxPacketBytes / 1024} KiB) per MQTT packet by default; the broker closes the `,
    '  connection of a client that sends a larger packet. Split outbox flushes by both limits.',
    '- Unknown keys are refused: every object is closed.',
    '',
    '## Privacy',
    'No payload ever carries reader identity: no reader card number, name, phone or account, in any field.',
    'Loans and returns carry the item id at most.',
  ]
    .join('\n')
    .replace(/ +\n/g, '\n');
}

function buildChannels(topicRoot: string): Record<string, unknown> {
  return Object.fromEntries(
    CHANNELS.map((channel) => {
      const spec = CHANNEL_SPECS[channel];
      return [
        channel,
        {
          address: `${topicRoot}/{kioskId}/${channel}`,
          title: spec.title,
          description: spec.description,
          parameters: { kioskId: { $ref: '#/components/parameters/kioskId' } },
          messages: { [spec.messageKey]: { $ref: `#/components/messages/${spec.messageKey}` } },
        },
      ];
    }),
  );
}

function messageRef(channel: Channel): { $ref: string } {
  return { $ref: `#/channels/${channel}/messages/${CHANNEL_SPECS[channel].messageKey}` };
}

function buildOperations(): Record<string, unknown> {
  const replies: Partial<Record<Channel, Channel>> = { events: 'acks', commands: 'events' };
  return Object.fromEntries(
    CHANNELS.map((channel) => {
      const spec = CHANNEL_SPECS[channel];
      const replyChannel = replies[channel];
      return [
        spec.operationId,
        {
          action: spec.action,
          channel: { $ref: `#/channels/${channel}` },
          summary: spec.operationSummary,
          messages: [messageRef(channel)],
          bindings: { mqtt: { qos: spec.qos, retain: spec.retain, bindingVersion: MQTT_BINDING_VERSION } },
          ...(replyChannel === undefined
            ? {}
            : { reply: { channel: { $ref: `#/channels/${replyChannel}` }, messages: [messageRef(replyChannel)] } }),
        },
      ];
    }),
  );
}

function buildMessages(): Record<string, unknown> {
  return Object.fromEntries(
    CHANNELS.map((channel) => {
      const spec = CHANNEL_SPECS[channel];
      const examples: unknown[] =
        spec.payload === 'events-payload'
          ? [...PAYLOAD_EXAMPLES.event, ...PAYLOAD_EXAMPLES['events-payload']]
          : [...PAYLOAD_EXAMPLES[spec.payload]];
      return [
        spec.messageKey,
        {
          name: PAYLOAD_COMPONENT_NAMES[spec.payload],
          title: spec.title,
          contentType: 'application/json',
          payload: { $ref: `#/components/schemas/${PAYLOAD_COMPONENT_NAMES[spec.payload]}` },
          examples: examples.map((payload, index) => ({ name: exampleName(payload, index), payload })),
        },
      ];
    }),
  );
}

function exampleName(payload: unknown, index: number): string {
  if (Array.isArray(payload)) return `batch-${index + 1}`;
  const record = payload as Record<string, unknown>;
  const label = record.type ?? record.state;
  return typeof label === 'string' ? `${label}-${index + 1}` : `example-${index + 1}`;
}

/** The AsyncAPI 3.0 document of the wire contract. */
export function buildAsyncApiDocument(options: AsyncApiOptions = {}): AsyncApiDocument {
  const topicRoot = topicRootSchema.parse(options.topicRoot ?? DEFAULT_TOPIC_ROOT);
  const serverHost = options.serverHost ?? 'localhost:1883';
  const maxPacketBytes = options.maxPacketBytes ?? DEFAULT_MAX_PACKET_BYTES;
  const keepAliveSeconds = options.keepAliveSeconds ?? RECOMMENDED_KEEPALIVE_SECONDS;
  return {
    asyncapi: ASYNCAPI_VERSION,
    id: 'urn:kiosk-fleet:protocol',
    info: {
      title: 'Kiosk fleet MQTT wire contract',
      version: PROTOCOL_VERSION,
      description: describeContract(topicRoot, maxPacketBytes, keepAliveSeconds),
      license: { name: 'MIT' },
    },
    defaultContentType: 'application/json',
    servers: {
      local: {
        host: serverHost,
        protocol: 'mqtt',
        protocolVersion: '3.1.1',
        title: 'Platform broker',
        description:
          `mqtt://${serverHost}: the broker that \`npm start\` embeds (any MQTT 3.1.1 broker configured the same ` +
          `way works). Packets over ${maxPacketBytes} bytes are refused.`,
        security: [{ $ref: '#/components/securitySchemes/kioskCredentials' }],
        bindings: {
          mqtt: {
            cleanSession: false,
            keepAlive: keepAliveSeconds,
            lastWill: { topic: `${topicRoot}/{kioskId}/status`, qos: 1, retain: true },
            bindingVersion: MQTT_BINDING_VERSION,
          },
        },
        'x-max-packet-bytes': maxPacketBytes,
      },
    },
    channels: buildChannels(topicRoot),
    operations: buildOperations(),
    components: {
      schemas: buildAsyncApiSchemaComponents(),
      messages: buildMessages(),
      parameters: {
        kioskId: {
          description: 'The kiosk id: 1-64 characters of A-Z, a-z, 0-9, `_` and `-`. Also the client id and username.',
          examples: ['CY-001'],
        },
      },
      securitySchemes: {
        kioskCredentials: {
          type: 'userPassword',
          description:
            "MQTT CONNECT username = the kiosk id, password = the machine's token (issued by the platform's " +
            'registry, which keeps only its hash). The client id must equal the kiosk id: the broker refuses ' +
            'the connection otherwise, as it does for a wrong token.',
        },
      },
    },
  };
}
