import { describe, expect, test } from 'vitest';
import { BROKER_DEFAULTS } from '../../broker/broker-defaults.js';
import { DEFAULT_DECODE_LIMITS } from '../../collector/decode.js';
import { CONFIG_KEYS, ConfigError, flagToKey, parseConfig } from '../../config/config.js';

/** Runs `act` and returns the ConfigError it throws, failing the test if it throws anything else. */
function configErrorOf(act: () => unknown): ConfigError {
  try {
    act();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError, but nothing was thrown');
}

describe('configuration', () => {
  test('with nothing set, every setting takes its documented default', () => {
    expect(parseConfig({})).toEqual({
      PORT: 3000,
      HOST: '0.0.0.0',
      MQTT_PORT: 1883,
      MQTT_WS_PORT: 8083,
      MQTT_PROXY_PROTOCOL: 'off',
      MAX_PACKET_BYTES: 262_144,
      CONNECT_TIMEOUT_MS: 10_000,
      MAX_CONNECTIONS: 20_000,
      CONNECT_RATE_PER_ADDRESS: 30,
      CONNECT_BURST_PER_ADDRESS: 100,
      PUBLISH_RATE_PER_KIOSK: 60,
      PUBLISH_BURST_PER_KIOSK: 3_000,
      OFFLINE_QUEUE_MAX_MESSAGES: 100_000,
      MQTTS_PORT: null,
      MQTT_WSS_PORT: null,
      HTTPS: 'off',
      TOPIC_ROOT: 'kiosks',
      DATA_DIR: './data',
      FLEET_TZ: 'Asia/Shanghai',
      SQLITE_SYNCHRONOUS: 'FULL',
      SPOOL_MAX_BYTES: 268_435_456,
      MAX_CLOCK_SKEW_MS: 3_600_000,
      RESERVATION_SLA_HOURS: 72,
      RESERVATION_AT_RISK_RATIO: 0.8,
      OFFLINE_AFTER_MS: 300_000,
      LAST_WILL_HOLD_MS: 3_000,
      RESPONSE_PROMISE_HOURS: 24,
      NOT_LENDING_PROBABILITY: 0.001,
      SIM_SILENT_FAILURES: 0.5,
      ESCALATION_STEPS: [50, 80, 100],
      SIM_KIOSKS: 70,
      SIM_SPEED: 60,
      SIM_BATCH: 1,
      SIM_TELEMETRY_MS: 60_000,
      SIM_SIP2: 0,
      SIP2_LISTEN_PORT: 6001,
      SIP2_TLS_UPSTREAM: 'off',
      SIP2_ACS_TIMEOUT_MS: 30_000,
      SIP2_PAUSE_MESSAGE: 'Loans are paused on this machine. Please use another machine or the desk.',
      SIP2_OUTBOX_MAX_BYTES: 1_073_741_824,
      SESSION_IDLE_MINUTES: 30,
      SESSION_MAX_HOURS: 12,
      PASSWORD_SCRYPT_N: 65_536,
      BACKUP_EVERY: 86_400_000,
      BACKUP_KEEP: 7,
      TELEMETRY_RAW_DAYS: 14,
      TELEMETRY_HOURLY_DAYS: 730,
      DEAD_LETTER_DAYS: 90,
      EVENT_RETENTION_DAYS: null,
      LOG_LEVEL: 'info',
    });
  });

  test("the broker's and decoder's settings default to the broker's and decoder's own defaults", () => {
    const config = parseConfig({});
    expect({
      maxPacketBytes: config.MAX_PACKET_BYTES,
      connectTimeoutMs: config.CONNECT_TIMEOUT_MS,
      maxConnections: config.MAX_CONNECTIONS,
      connectRatePerAddress: config.CONNECT_RATE_PER_ADDRESS,
      connectBurstPerAddress: config.CONNECT_BURST_PER_ADDRESS,
      publishRatePerKiosk: config.PUBLISH_RATE_PER_KIOSK,
      publishBurstPerKiosk: config.PUBLISH_BURST_PER_KIOSK,
      offlineQueueMaxMessages: config.OFFLINE_QUEUE_MAX_MESSAGES,
      maxFutureSkewMs: config.MAX_CLOCK_SKEW_MS,
    }).toEqual({
      maxPacketBytes: BROKER_DEFAULTS.maxPacketBytes,
      connectTimeoutMs: BROKER_DEFAULTS.connectTimeoutMs,
      maxConnections: BROKER_DEFAULTS.maxConnections,
      connectRatePerAddress: BROKER_DEFAULTS.connectRatePerAddress,
      connectBurstPerAddress: BROKER_DEFAULTS.connectBurstPerAddress,
      publishRatePerKiosk: BROKER_DEFAULTS.publishRatePerKiosk,
      publishBurstPerKiosk: BROKER_DEFAULTS.publishBurstPerKiosk,
      offlineQueueMaxMessages: BROKER_DEFAULTS.offlineQueueMaxMessages,
      maxFutureSkewMs: DEFAULT_DECODE_LIMITS.maxFutureSkewMs,
    });
  });

  test('the result is frozen', () => {
    const config = parseConfig({});
    expect(Object.isFrozen(config)).toBe(true);
    expect(() => {
      (config as { PORT: number }).PORT = 1;
    }).toThrow(TypeError);
  });

  test('environment values are coerced to their types', () => {
    const config = parseConfig({
      PORT: '8080',
      MQTT_PORT: '0',
      MQTT_WS_PORT: '9001',
      MAX_PACKET_BYTES: '1024',
      SIM_KIOSKS: '0',
      SIM_SPEED: '3600',
      MAX_CLOCK_SKEW_MS: '0',
      SQLITE_SYNCHRONOUS: 'NORMAL',
      MQTT_URL: 'mqtts://broker.example:8883',
      SIM_START: '2026-11-01',
      TOPIC_ROOT: 'library/kiosks',
    });
    expect(config).toMatchObject({
      PORT: 8080,
      MQTT_PORT: 0,
      MQTT_WS_PORT: 9001,
      MAX_PACKET_BYTES: 1024,
      SIM_KIOSKS: 0,
      SIM_SPEED: 3600,
      MAX_CLOCK_SKEW_MS: 0,
      SQLITE_SYNCHRONOUS: 'NORMAL',
      MQTT_URL: 'mqtts://broker.example:8883',
      SIM_START: '2026-11-01',
      TOPIC_ROOT: 'library/kiosks',
    });
  });

  test('environment variables that are not settings are ignored', () => {
    expect(parseConfig({ HOME: '/root', PATH: '/usr/bin', NODE_ENV: 'test' })).toEqual(parseConfig({}));
  });

  test('MQTT_WS_PORT=off turns the WebSocket listener off', () => {
    expect(parseConfig({ MQTT_WS_PORT: 'off' }).MQTT_WS_PORT).toBeNull();
    expect(parseConfig({}, { 'mqtt-ws-port': 'off' }).MQTT_WS_PORT).toBeNull();
  });

  test('the cluster settings: a Redis URL, a share group only with an external broker, a hook secret of 32 characters', () => {
    const config = parseConfig({
      CLUSTER_REDIS_URL: 'redis://redis.example:6379',
      MQTT_URL: 'mqtt://emqx.example:1883',
      MQTT_SHARE_GROUP: 'ingest',
      MQTT_PROXY_PROTOCOL: 'on',
    });
    expect(config).toMatchObject({
      CLUSTER_REDIS_URL: 'redis://redis.example:6379',
      MQTT_SHARE_GROUP: 'ingest',
      MQTT_PROXY_PROTOCOL: 'on',
    });
    expect(configErrorOf(() => parseConfig({ CLUSTER_REDIS_URL: 'http://redis.example' })).message).toContain(
      'CLUSTER_REDIS_URL',
    );
    expect(configErrorOf(() => parseConfig({ MQTT_SHARE_GROUP: 'ingest' })).message).toMatch(
      /MQTT_SHARE_GROUP needs an external broker/,
    );
    expect(configErrorOf(() => parseConfig({ MQTT_URL: 'mqtt://x:1883', MQTT_SHARE_GROUP: 'a/b' })).message).toContain(
      'MQTT_SHARE_GROUP',
    );
    expect(configErrorOf(() => parseConfig({ EMQX_HOOK_SECRET: 'short' })).message).toContain('EMQX_HOOK_SECRET');
  });

  test('an empty environment value counts as unset', () => {
    const config = parseConfig({ PORT: '', SIM_KIOSKS: '', MQTT_URL: '', FLEET_TZ: '', MQTT_WS_PORT: '' });
    expect(config).toEqual(parseConfig({}));
    expect(config.MQTT_URL).toBeUndefined();
  });

  describe('flags', () => {
    test.each([
      ['--sim-kiosks', 'SIM_KIOSKS'],
      ['sim-kiosks', 'SIM_KIOSKS'],
      ['port', 'PORT'],
      ['mqtt-ws-port', 'MQTT_WS_PORT'],
      ['max-clock-skew-ms', 'MAX_CLOCK_SKEW_MS'],
    ])('%s names the setting %s', (flag, key) => {
      expect(flagToKey(flag)).toBe(key);
      expect(CONFIG_KEYS).toContain(key);
    });

    test('a flag overrides the environment', () => {
      const config = parseConfig({ SIM_KIOSKS: '5', PORT: '8080' }, { 'sim-kiosks': '10' });
      expect(config.SIM_KIOSKS).toBe(10);
      expect(config.PORT).toBe(8080);
    });

    test('a flag is validated like the environment value it replaces', () => {
      expect(configErrorOf(() => parseConfig({ PORT: '8080' }, { port: '70000' })).message).toContain('PORT');
    });
  });

  test.each<{ what: string; env?: Record<string, string>; flags?: Record<string, string>; names: string }>([
    { what: 'PORT=70000', env: { PORT: '70000' }, names: 'PORT' },
    { what: 'PORT=http', env: { PORT: 'http' }, names: 'PORT' },
    { what: 'PORT=80.5', env: { PORT: '80.5' }, names: 'PORT' },
    { what: 'MQTT_PORT=-1', env: { MQTT_PORT: '-1' }, names: 'MQTT_PORT' },
    { what: 'MQTT_WS_PORT=on', env: { MQTT_WS_PORT: 'on' }, names: 'MQTT_WS_PORT' },
    { what: 'FLEET_TZ=Mars/Base', env: { FLEET_TZ: 'Mars/Base' }, names: 'FLEET_TZ' },
    { what: 'MQTT_URL=http://x', env: { MQTT_URL: 'http://x' }, names: 'MQTT_URL' },
    { what: 'MQTT_URL=not a url', env: { MQTT_URL: 'not a url' }, names: 'MQTT_URL' },
    { what: 'SIM_KIOSKS=-1', env: { SIM_KIOSKS: '-1' }, names: 'SIM_KIOSKS' },
    { what: 'SIM_SPEED=0', env: { SIM_SPEED: '0' }, names: 'SIM_SPEED' },
    { what: 'SIM_BATCH=501', env: { SIM_BATCH: '501' }, names: 'SIM_BATCH' },
    { what: 'SIM_START=yesterday', env: { SIM_START: 'yesterday' }, names: 'SIM_START' },
    { what: "TOPIC_ROOT='a/#'", env: { TOPIC_ROOT: 'a/#' }, names: 'TOPIC_ROOT' },
    { what: "TOPIC_ROOT='a/+/b'", env: { TOPIC_ROOT: 'a/+/b' }, names: 'TOPIC_ROOT' },
    { what: "TOPIC_ROOT='/kiosks'", env: { TOPIC_ROOT: '/kiosks' }, names: 'TOPIC_ROOT' },
    { what: 'MAX_PACKET_BYTES=100', env: { MAX_PACKET_BYTES: '100' }, names: 'MAX_PACKET_BYTES' },
    { what: 'SQLITE_SYNCHRONOUS=OFF', env: { SQLITE_SYNCHRONOUS: 'OFF' }, names: 'SQLITE_SYNCHRONOUS' },
    { what: 'LOG_LEVEL=verbose', env: { LOG_LEVEL: 'verbose' }, names: 'LOG_LEVEL' },
    { what: 'RESERVATION_SLA_HOURS=0', env: { RESERVATION_SLA_HOURS: '0' }, names: 'RESERVATION_SLA_HOURS' },
    { what: 'RESERVATION_AT_RISK_RATIO=1', env: { RESERVATION_AT_RISK_RATIO: '1' }, names: 'RESERVATION_AT_RISK_RATIO' },
    { what: 'a short FLEET_ADMIN_PASSWORD', env: { FLEET_ADMIN_PASSWORD: 'admin123' }, names: 'at least 12 characters' },
    { what: 'PASSWORD_SCRYPT_N=1024', env: { PASSWORD_SCRYPT_N: '1024' }, names: 'PASSWORD_SCRYPT_N' },
    { what: 'PASSWORD_SCRYPT_N=50000', env: { PASSWORD_SCRYPT_N: '50000' }, names: 'power of two' },
    { what: 'SESSION_IDLE_MINUTES=0', env: { SESSION_IDLE_MINUTES: '0' }, names: 'SESSION_IDLE_MINUTES' },
    { what: 'SIP2_UPSTREAM without a port', env: { SIP2_UPSTREAM: 'acs.local' }, names: 'SIP2_UPSTREAM' },
    { what: 'SIP2_TLS_CERT_FILE without its key', env: { SIP2_TLS_CERT_FILE: '/x.pem' }, names: 'SIP2_TLS_KEY_FILE' },
    { what: 'a SIP2_PAUSE_MESSAGE with a field separator', env: { SIP2_PAUSE_MESSAGE: 'a|b' }, names: 'SIP2_PAUSE_MESSAGE' },
    { what: 'a non-ASCII SIP2_PAUSE_MESSAGE', env: { SIP2_PAUSE_MESSAGE: '暂停' }, names: 'SIP2_PAUSE_MESSAGE' },
    { what: 'SIM_SIP2=-1', env: { SIM_SIP2: '-1' }, names: 'SIM_SIP2' },
    { what: 'the unknown flag --colour', flags: { colour: 'red' }, names: 'unknown option --colour' },
  ])('$what is refused with a ConfigError naming it', ({ env = {}, flags = {}, names }) => {
    const error = configErrorOf(() => parseConfig(env, flags));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toContain(names);
  });

  test('every bad setting is named in one error', () => {
    const { message } = configErrorOf(() => parseConfig({ PORT: '70000', FLEET_TZ: 'Mars/Base', SIM_KIOSKS: '-1' }));
    for (const key of ['PORT', 'FLEET_TZ', 'SIM_KIOSKS']) expect(message).toContain(key);
  });

  // z.coerce.number() would turn a blank string into 0: a random port.
  test("PORT=' ' in the environment counts as unset: the default port, never port 0", () => {
    expect(parseConfig({ PORT: ' ' }).PORT).toBe(3000);
  });

  test('an empty --port= flag is refused, naming the flag, never port 0', () => {
    expect(configErrorOf(() => parseConfig({}, { port: '' })).message).toContain('PORT: --port needs a value');
  });

  test.each([
    ['25,100', [25, 100]],
    ['50,80,100', [50, 80, 100]],
    ['12.5', [12.5]],
  ])('ESCALATION_STEPS=%s is the percentages %j', (value, steps) => {
    expect(parseConfig({ ESCALATION_STEPS: value }).ESCALATION_STEPS).toEqual(steps);
  });

  test.each(['80,50', '0,100', '50,,80', 'half'])('ESCALATION_STEPS=%s is refused', (value) => {
    expect(configErrorOf(() => parseConfig({ ESCALATION_STEPS: value })).message).toContain('ESCALATION_STEPS');
  });

  test.each([
    ['30m', 1_800_000],
    ['6h', 21_600_000],
    ['2d', 172_800_000],
  ])('BACKUP_EVERY=%s is %i ms', (value, ms) => {
    expect(parseConfig({ BACKUP_EVERY: value }).BACKUP_EVERY).toBe(ms);
  });

  test.each(['0m', '90s', '1w', 'daily', '1.5h'])('BACKUP_EVERY=%s is refused', (value) => {
    expect(configErrorOf(() => parseConfig({ BACKUP_EVERY: value })).message).toContain('BACKUP_EVERY');
  });

  test.each([
    ['forever', null],
    ['365', 365],
  ])('EVENT_RETENTION_DAYS=%s keeps events for %s days', (value, days) => {
    expect(parseConfig({ EVENT_RETENTION_DAYS: value }).EVENT_RETENTION_DAYS).toBe(days);
  });

  test.each(['0', '-1', 'never', '1.5'])('DEAD_LETTER_DAYS=%s is refused', (value) => {
    expect(configErrorOf(() => parseConfig({ DEAD_LETTER_DAYS: value })).message).toContain('DEAD_LETTER_DAYS');
  });

  test.each([
    ['https://fleet.library.example', 'https://fleet.library.example'],
    ['https://fleet.library.example/kiosks/', 'https://fleet.library.example/kiosks'],
    ['http://10.0.0.5:3000', 'http://10.0.0.5:3000'],
  ])('PUBLIC_URL=%s is the dashboard address %s (no trailing slash)', (value, url) => {
    expect(parseConfig({ PUBLIC_URL: value }).PUBLIC_URL).toBe(url);
  });

  test.each(['fleet.library.example', 'ftp://fleet.example', 'https://fleet.example/?x=1', 'https://fleet.example/#/alerts'])(
    'PUBLIC_URL=%s is refused',
    (value) => {
      expect(configErrorOf(() => parseConfig({ PUBLIC_URL: value })).message).toContain('PUBLIC_URL');
    },
  );
});
