// This file is long because it is the one schema of every setting, each with its default and its
// description, checked together at start.
import { z } from 'zod';
import { BROKER_DEFAULTS } from '../broker/broker-defaults.js';
import { DEFAULT_DECODE_LIMITS } from '../collector/decode.js';
import { LENDING_CHECK_DEFAULTS } from '../collector/domain/lending-check.js';
import { topicRootSchema } from '../protocol/topics.js';
import { DEFAULT_PAUSE_SCREEN_MESSAGE } from '../sip2/bridge/pause-rewrite.js';
import { loadTlsPem, TlsSettingError, type TlsFiles } from './tls.js';

const port = z.coerce.number().int().min(0).max(65535);
const optionalPort = z.union([z.literal('off'), port]).transform((v) => (v === 'off' ? null : v));

function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/** `50,80,100`: ascending percentages of the response promise. */
const escalationSteps = z
  .string()
  .regex(/^\d+(\.\d+)?(,\d+(\.\d+)?)*$/, 'ESCALATION_STEPS is a comma-separated list of percentages, e.g. 50,80,100')
  .transform((s) => s.split(',').map(Number))
  .refine(
    (steps) => steps.every((p, i) => p > 0 && p <= 1000 && (i === 0 || p > steps[i - 1]!)),
    'ESCALATION_STEPS must be ascending percentages above 0',
  );

/** `30m`, `6h`, `1d`: a period of at least a minute, in milliseconds. */
const duration = z
  .string()
  .regex(/^\d+[mhd]$/, 'a period is a whole number of minutes, hours or days: 30m, 6h, 1d')
  .transform((s) => Number(s.slice(0, -1)) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[s.slice(-1) as 'm' | 'h' | 'd'])
  .refine((ms) => ms >= 60_000, 'a period is at least 1m');

/** Days to keep something, or `forever`. */
const keepDays = z
  .union([z.literal('forever'), z.coerce.number().int().min(1).max(36_500)])
  .transform((v) => (v === 'forever' ? null : v));

/** The InfluxDB settings: all four, or none (the SQLite store). */
const INFLUX_KEYS = ['INFLUX_URL', 'INFLUX_TOKEN', 'INFLUX_ORG', 'INFLUX_BUCKET'] as const;

/**
 * Every setting, by its environment name, with its default. Flags (`--sim-kiosks 10`) map to the
 * same names (`SIM_KIOSKS`). Unknown flags are refused; the environment is read once, here.
 */
export const configSchema = z
  .strictObject({
    PORT: port.default(3000).describe('HTTP port of the dashboard and REST API'),
    HOST: z.string().min(1).default('0.0.0.0').describe('Address the HTTP and MQTT listeners bind to'),
    MQTT_PORT: port.default(1883).describe('MQTT over TCP port of the embedded broker'),
    MQTT_WS_PORT: optionalPort.default(8083).describe('MQTT over WebSocket port (path /mqtt), or off'),
    MQTT_URL: z
      .url({ protocol: /^(mqtts?|wss?)$/, message: 'MQTT_URL must be an mqtt://, mqtts://, ws:// or wss:// URL' })
      .optional()
      .describe('Use this external broker instead of the embedded one'),
    MQTT_USERNAME: z.string().optional().describe('Collector username on an external broker'),
    MQTT_SHARE_GROUP: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,64}$/, 'MQTT_SHARE_GROUP is a group name of letters, digits, _ and - (at most 64)')
      .optional()
      .describe(
        'With MQTT_URL: subscribe as $share/{group}/… so the collectors of several nodes share the ingest (docs/cluster.md)',
      ),
    CLUSTER_REDIS_URL: z
      .url({
        protocol: /^rediss?$/,
        message: 'CLUSTER_REDIS_URL must be a redis:// or rediss:// URL, e.g. redis://redis.example:6379',
      })
      .optional()
      .describe(
        'One node of several: the embedded brokers share routing, retained messages and sessions through this Redis (docs/cluster.md)',
      ),
    NODE_NAME: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,128}$/, 'NODE_NAME is a name of letters, digits, _, . and - (at most 128)')
      .optional()
      .describe(
        "One node of several: this node's name in the platform's own markers (started, stopped), stable across its restarts; default the host name when CLUSTER_REDIS_URL or MQTT_SHARE_GROUP is set",
      ),
    MQTT_PROXY_PROTOCOL: z
      .enum(['on', 'off'])
      .default('off')
      .describe(
        "The embedded broker reads a PROXY protocol header (HAProxy send-proxy-v2) on its TCP listener, so limits and logs see the machine's address",
      ),
    EMQX_HOOK_SECRET: z
      .string()
      .min(32, 'EMQX_HOOK_SECRET must be at least 32 characters')
      .optional()
      .describe("Serve EMQX's HTTP authentication and authorization hooks, called with this bearer secret (docs/cluster.md)"),
    MQTT_PASSWORD: z.string().optional().describe('Collector password on an external broker'),
    MAX_PACKET_BYTES: z.coerce
      .number()
      .int()
      .min(1024)
      .max(268_435_455)
      .default(BROKER_DEFAULTS.maxPacketBytes)
      .describe('Largest MQTT packet the embedded broker accepts'),
    CONNECT_TIMEOUT_MS: z.coerce
      .number()
      .int()
      .min(100)
      .max(600_000)
      .default(BROKER_DEFAULTS.connectTimeoutMs)
      .describe('Time a new MQTT connection has to complete its TLS handshake and CONNECT'),
    MAX_CONNECTIONS: z.coerce
      .number()
      .int()
      .min(0)
      .default(BROKER_DEFAULTS.maxConnections)
      .describe('Open connections the embedded broker accepts on all its listeners (0 = no cap)'),
    CONNECT_RATE_PER_ADDRESS: z.coerce
      .number()
      .int()
      .min(0)
      .default(BROKER_DEFAULTS.connectRatePerAddress)
      .describe('New MQTT connections one address may open per 10 s, sustained (0 = no limit)'),
    CONNECT_BURST_PER_ADDRESS: z.coerce
      .number()
      .int()
      .min(1)
      .default(BROKER_DEFAULTS.connectBurstPerAddress)
      .describe('New MQTT connections one address may open at once'),
    PUBLISH_RATE_PER_KIOSK: z.coerce
      .number()
      .int()
      .min(0)
      .default(BROKER_DEFAULTS.publishRatePerKiosk)
      .describe('MQTT messages a machine may publish per 10 s, sustained, before it is disconnected (0 = no budget)'),
    PUBLISH_BURST_PER_KIOSK: z.coerce
      .number()
      .int()
      .min(1)
      .default(BROKER_DEFAULTS.publishBurstPerKiosk)
      .describe('MQTT messages a machine may publish at once (an outbox flush after an outage)'),
    OFFLINE_QUEUE_MAX_MESSAGES: z.coerce
      .number()
      .int()
      .min(0)
      .default(BROKER_DEFAULTS.offlineQueueMaxMessages)
      .describe('Messages the embedded broker queues for an offline persistent session, e.g. an external collector (0 = no cap)'),
    MQTTS_PORT: optionalPort.default(null).describe('MQTT over TLS port of the embedded broker, or off'),
    MQTT_WSS_PORT: optionalPort.default(null).describe('MQTT over secure WebSocket port (path /mqtt), or off'),
    HTTPS: z.enum(['on', 'off']).default('off').describe('The dashboard on PORT speaks HTTPS (with TLS_CERT_FILE)'),
    TLS_CERT_FILE: z.string().min(1).optional().describe('PEM certificate of the TLS listeners'),
    TLS_KEY_FILE: z.string().min(1).optional().describe('PEM private key of TLS_CERT_FILE'),
    TLS_CA_FILE: z.string().min(1).optional().describe('PEM CA certificates sent after TLS_CERT_FILE (its chain)'),
    TOPIC_ROOT: topicRootSchema.default('kiosks').describe('First topic level(s) of the wire contract'),
    DATA_DIR: z.string().min(1).default('./data').describe('Where the SQLite files, secrets and the simulator outbox live'),
    FLEET_TZ: z
      .string()
      .default('Asia/Shanghai')
      .refine(isTimeZone, 'FLEET_TZ must be an IANA time zone name, e.g. Asia/Shanghai')
      .describe('Time zone for days and months'),
    SQLITE_SYNCHRONOUS: z
      .enum(['FULL', 'NORMAL'])
      .default('FULL')
      .describe('FULL survives power loss; NORMAL only process crashes'),
    SPOOL_MAX_BYTES: z.coerce
      .number()
      .int()
      .min(0)
      .default(268_435_456)
      .describe('Largest size of the collector spool (events kept on disk while the store is down); 0 turns the spool off'),
    DATABASE_URL: z
      .url({
        protocol: /^postgres(ql)?$/,
        message:
          'DATABASE_URL must be a postgres:// or postgresql:// URL, e.g. postgres://kiosk:secret@db.example:5432/kiosk_fleet',
      })
      .optional()
      .describe('Keep the event history in this PostgreSQL database instead of SQLite (docs/postgresql.md)'),
    INFLUX_URL: z
      .url({ protocol: /^https?$/, message: 'INFLUX_URL must be an http:// or https:// URL, e.g. http://localhost:8086' })
      .optional()
      .describe('Keep the event history in this InfluxDB 2.x instead of SQLite (with INFLUX_TOKEN, INFLUX_ORG, INFLUX_BUCKET)'),
    INFLUX_TOKEN: z.string().min(1).optional().describe('InfluxDB API token that may read and write INFLUX_BUCKET'),
    INFLUX_ORG: z.string().min(1).optional().describe('InfluxDB organization name'),
    INFLUX_BUCKET: z.string().min(1).optional().describe('InfluxDB bucket of the event history'),
    MAX_CLOCK_SKEW_MS: z.coerce
      .number()
      .int()
      .min(0)
      .default(DEFAULT_DECODE_LIMITS.maxFutureSkewMs)
      .describe('Events stamped further in the future are dead-lettered'),
    RESERVATION_SLA_HOURS: z.coerce
      .number()
      .positive()
      .max(8760)
      .default(72)
      .describe('Online reservations are delivered within this many hours of creation'),
    RESERVATION_AT_RISK_RATIO: z.coerce
      .number()
      .gt(0)
      .lt(1)
      .default(0.8)
      .describe('Share of the delivery window after which an undelivered reservation is at risk'),
    OFFLINE_AFTER_MS: z.coerce
      .number()
      .int()
      .min(1_000)
      .default(300_000)
      .describe('A machine silent (no status, event or telemetry) this long is offline'),
    LAST_WILL_HOLD_MS: z.coerce
      .number()
      .int()
      .min(0)
      .max(60_000)
      .default(3_000)
      .describe(
        'An offline status (a Last Will) waits this long before it is recorded; a new boot coming online meanwhile shows it was a takeover, and it is not recorded',
      ),
    RESPONSE_PROMISE_HOURS: z.coerce
      .number()
      .positive()
      .max(8760)
      .default(24)
      .describe('Fault-response promise: alerts are acknowledged and restored within this many hours'),
    PUBLIC_URL: z
      .url({ protocol: /^https?$/, message: 'PUBLIC_URL must be an http:// or https:// URL, e.g. https://fleet.library.example' })
      .refine((url) => !/[?#]/.test(url), 'PUBLIC_URL is the dashboard’s address without a query or fragment')
      .transform((url) => url.replace(/\/+$/, ''))
      .optional()
      .describe('The dashboard’s address as people open it: notifications link to alerts under it'),
    NOT_LENDING_PROBABILITY: z.coerce
      .number()
      .gt(0)
      .lt(1)
      .default(LENDING_CHECK_DEFAULTS.thresholdProbability)
      .describe(
        'A machine online and in service with so few loans and returns that seeing so few has a lower Poisson probability than this is "online but not lending" (docs/uptime.md)',
      ),
    NOTIFY_CONFIG: z
      .string()
      .min(1)
      .optional()
      .describe('JSON file of notification channels and the rules choosing them (docs/notifications.md)'),
    ESCALATION_STEPS: escalationSteps
      .default([50, 80, 100])
      .describe('Percent of the response promise after which an unacknowledged alert escalates'),
    SIM_KIOSKS: z.coerce.number().int().min(0).max(100_000).default(70).describe('Simulated machines (0 = none)'),
    // 50,000×: three weeks of history in about 40 s for the 70-machine reference fleet on 2 cores
    // (docs/configuration.md); then the clock runs at 1×.
    SIM_SPEED: z.coerce
      .number()
      .min(1)
      .max(1_000_000)
      .default(50_000)
      .describe('Simulated time acceleration until the clock catches up with now'),
    SIM_START: z.iso
      .datetime({ offset: true, local: true })
      .or(z.iso.date())
      .optional()
      .describe('Where simulated time starts (default: SIM_HISTORY_DAYS before today in FLEET_TZ)'),
    SIM_HISTORY_DAYS: z.coerce
      .number()
      .int()
      .min(0)
      .max(366)
      .default(21)
      .describe('Days of history a first start simulates before today, when SIM_START is not set'),
    // Many events per message: catching up, a machine has hours of events per tick; one per message,
    // three weeks (~3,000 events a machine) nearly empty the broker's burst (PUBLISH_BURST_PER_KIOSK).
    SIM_BATCH: z.coerce
      .number()
      .int()
      .min(1)
      .max(500)
      .default(100)
      .describe('Most events per MQTT message when a machine flushes its outbox'),
    SIM_SILENT_FAILURES: z.coerce
      .number()
      .min(0)
      .max(100)
      .default(0.5)
      .describe(
        'Silent failures per simulated machine per month (heartbeat, no fault, nothing lent), recorded in simulator-truth.jsonl',
      ),
    SIM_TELEMETRY_MS: z.coerce.number().int().min(1000).default(60_000).describe('Telemetry interval of simulated machines'),
    SIM_SIP2: z.coerce
      .number()
      .int()
      .min(0)
      .max(10_000)
      .default(0)
      .describe('Simulated machines that speak SIP2 to a simulated library system through a SIP2 bridge (0 = none)'),
    SIP2_LISTEN_PORT: port.default(6001).describe('sip2-bridge: port the machines (SIP2 SCs) connect to'),
    SIP2_UPSTREAM: z
      .string()
      .regex(
        /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/,
        'SIP2_UPSTREAM is host:port of the library system, e.g. acs.library.local:6001',
      )
      .optional()
      .describe('sip2-bridge: the library system (SIP2 ACS) as host:port'),
    SIP2_MAP: z
      .string()
      .min(1)
      .optional()
      .describe('sip2-bridge: CSV kiosk_id,token,login_user_id,location_code,address; readable by its owner only'),
    SIP2_TLS_CERT_FILE: z.string().min(1).optional().describe('sip2-bridge: PEM certificate; machines then connect with TLS'),
    SIP2_TLS_KEY_FILE: z.string().min(1).optional().describe('sip2-bridge: PEM private key of SIP2_TLS_CERT_FILE'),
    SIP2_TLS_UPSTREAM: z.enum(['on', 'off']).default('off').describe('sip2-bridge: speak TLS to the library system'),
    SIP2_TLS_UPSTREAM_CA_FILE: z
      .string()
      .min(1)
      .optional()
      .describe("sip2-bridge: PEM CA certificates the library system's certificate is checked against (default: the system's)"),
    SIP2_ACS_TIMEOUT_MS: z.coerce
      .number()
      .int()
      .min(100)
      .max(600_000)
      .default(30_000)
      .describe('sip2-bridge: a library system that has not answered a request this long is unreachable'),
    SIP2_PAUSE_MESSAGE: z
      .string()
      .min(1)
      .max(200)
      .regex(/^[\x20-\x7e]+$/, 'SIP2_PAUSE_MESSAGE must be printable ASCII without | (the library system code page is unknown)')
      .refine((text) => !text.includes('|'), 'SIP2_PAUSE_MESSAGE must not contain |')
      .default(DEFAULT_PAUSE_SCREEN_MESSAGE)
      .describe('sip2-bridge: screen message (AF) of a paused or withdrawn machine'),
    SIP2_OUTBOX_MAX_BYTES: z.coerce
      .number()
      .int()
      .min(65_536)
      .default(1_073_741_824)
      .describe('sip2-bridge: largest outbox file; past it observations are dropped and counted, traffic flows'),
    FLEET_ADMIN_PASSWORD: z
      .string()
      .min(12, 'FLEET_ADMIN_PASSWORD must be at least 12 characters')
      .max(256)
      .optional()
      .describe('Password of user admin, created at first start (without it: a one-time password is printed)'),
    SESSION_IDLE_MINUTES: z.coerce
      .number()
      .int()
      .min(1)
      .max(1440)
      .default(30)
      .describe('A dashboard session unused this long ends'),
    SESSION_MAX_HOURS: z.coerce
      .number()
      .int()
      .min(1)
      .max(720)
      .default(12)
      .describe('A dashboard session ends this long after login'),
    PASSWORD_SCRYPT_N: z.coerce
      .number()
      .int()
      .min(16_384, 'PASSWORD_SCRYPT_N must be at least 16384 (16 MiB of memory per hash)')
      .max(1_048_576)
      .refine((n) => (n & (n - 1)) === 0, 'PASSWORD_SCRYPT_N must be a power of two')
      .default(65_536)
      .describe('scrypt cost of password hashes (r = 8: 128·N·8 bytes, 64 MiB at 65536)'),
    BACKUP_DIR: z
      .string()
      .min(1)
      .optional()
      .describe('Write a backup of DATA_DIR here every BACKUP_EVERY (off when unset; docs/operations.md)'),
    BACKUP_EVERY: duration.prefault('1d').describe('Period of the scheduled backups: 30m, 6h, 1d ...'),
    BACKUP_KEEP: z.coerce
      .number()
      .int()
      .min(1)
      .max(10_000)
      .default(7)
      .describe('Scheduled backups kept in BACKUP_DIR (the newest)'),
    TELEMETRY_RAW_DAYS: z.coerce
      .number()
      .int()
      .min(1)
      .max(36_500)
      .default(14)
      .describe('Telemetry is kept as sent this many days, then as hourly means (docs/operations.md)'),
    TELEMETRY_HOURLY_DAYS: keepDays.prefault('730').describe('Hourly telemetry means are kept this many days, or forever'),
    DEAD_LETTER_DAYS: keepDays.prefault('90').describe('Refused messages (dead letters) are kept this many days, or forever'),
    EVENT_RETENTION_DAYS: keepDays
      .prefault('forever')
      .describe('Events (the figures: loans, returns, faults, ...) are kept this many days; forever unless set'),
    LOG_LEVEL: z
      .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
      .default('info')
      .describe('Least severity logged (pretty on a terminal, JSON lines when piped)'),
  })
  .superRefine((config, ctx) => {
    checkTlsSettings(config, ctx);
    // aedes 1.x has no shared subscriptions: a group only means something on an external broker.
    if (config.MQTT_SHARE_GROUP !== undefined && config.MQTT_URL === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['MQTT_SHARE_GROUP'],
        message: 'MQTT_SHARE_GROUP needs an external broker (MQTT_URL); the embedded one has no shared subscriptions',
      });
    }
    if ((config.SIP2_TLS_CERT_FILE === undefined) !== (config.SIP2_TLS_KEY_FILE === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: [config.SIP2_TLS_CERT_FILE === undefined ? 'SIP2_TLS_CERT_FILE' : 'SIP2_TLS_KEY_FILE'],
        message: 'SIP2_TLS_CERT_FILE and SIP2_TLS_KEY_FILE go together',
      });
    }
    const missing = INFLUX_KEYS.filter((key) => config[key] === undefined);
    if (missing.length > 0 && missing.length < INFLUX_KEYS.length) {
      ctx.addIssue({
        code: 'custom',
        path: [missing[0]!],
        message: `${INFLUX_KEYS.join(', ')} go together: ${missing.join(', ')} missing`,
      });
    }
    if (config.DATABASE_URL !== undefined && config.INFLUX_URL !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['DATABASE_URL'],
        message: 'the event history goes to PostgreSQL (DATABASE_URL) or InfluxDB (INFLUX_URL), not both',
      });
    }
  });

/** TLS listeners need the certificate files, and those must be readable PEM that fit together. */
function checkTlsSettings(
  config: TlsFiles & { MQTTS_PORT: number | null; MQTT_WSS_PORT: number | null; HTTPS: 'on' | 'off' },
  ctx: z.RefinementCtx,
): void {
  const wanting =
    config.MQTTS_PORT !== null
      ? 'MQTTS_PORT'
      : config.MQTT_WSS_PORT !== null
        ? 'MQTT_WSS_PORT'
        : config.HTTPS === 'on'
          ? 'HTTPS'
          : null;
  if (wanting !== null && config.TLS_CERT_FILE === undefined) {
    ctx.addIssue({ code: 'custom', path: [wanting], message: 'needs TLS_CERT_FILE and TLS_KEY_FILE' });
    return;
  }
  try {
    loadTlsPem(config);
  } catch (error) {
    const setting = error instanceof TlsSettingError ? error.setting : 'TLS_CERT_FILE';
    ctx.addIssue({ code: 'custom', path: [setting], message: (error as Error).message });
  }
}

/**
 * A platform reachable only from this machine, on free ports, with no simulated fleet and no
 * logs: what tests and benchmarks start (with a data directory of their own).
 */
export const LOOPBACK_SETTINGS: Readonly<Record<string, string>> = Object.freeze({
  HOST: '127.0.0.1',
  PORT: '0',
  MQTT_PORT: '0',
  MQTT_WS_PORT: 'off',
  SIM_KIOSKS: '0',
  // A simulated fleet in a test starts at the start of today and catches up at the pace tests were
  // written for, one event per message; tests of the first start's history set their own.
  SIM_HISTORY_DAYS: '0',
  SIM_SPEED: '60',
  SIM_BATCH: '1',
  LOG_LEVEL: 'silent',
  // Every client of such a platform connects from 127.0.0.1 (fault tests and the soak reconnect
  // whole fleets at once): a per-address rate would only throttle the test itself.
  CONNECT_RATE_PER_ADDRESS: '0',
});

export type Config = Readonly<z.infer<typeof configSchema>>;
export const CONFIG_KEYS = Object.keys(configSchema.shape) as (keyof Config)[];

export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID';
}

/** `--sim-kiosks` → `SIM_KIOSKS`. */
export function flagToKey(flag: string): string {
  return flag.replace(/^--/, '').replace(/-/g, '_').toUpperCase();
}

/** `SIM_KIOSKS` → `sim-kiosks`. */
export function keyToFlag(key: string): string {
  return key.toLowerCase().replace(/_/g, '-');
}

/**
 * Parses settings from the environment and flags (flags win) into a frozen object.
 * Throws a ConfigError naming every bad setting.
 */
export function parseConfig(env: Record<string, string | undefined>, flags: Record<string, string> = {}): Config {
  const raw: Record<string, string> = {};
  for (const key of CONFIG_KEYS) {
    const value = env[key];
    if (value !== undefined && value.trim() !== '') raw[key] = value;
  }
  const unknown: string[] = [];
  for (const [flag, value] of Object.entries(flags)) {
    const key = flagToKey(flag);
    if (!(CONFIG_KEYS as string[]).includes(key)) unknown.push(`--${flag}`);
    else if (value.trim() === '') throw new ConfigError(`invalid configuration: ${key}: --${flag} needs a value`);
    else raw[key] = value;
  }
  if (unknown.length > 0) throw new ConfigError(`unknown option ${unknown.join(', ')}`);
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
  }
  return Object.freeze(parsed.data);
}
