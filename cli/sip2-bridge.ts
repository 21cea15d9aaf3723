import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { ConfigError, type Config } from '../config/config.js';
import { createTopics } from '../protocol/topics.js';
import { startSip2Bridge, type RunningSip2Bridge } from '../sip2/bridge/bridge.js';
import { loadMapping, MappingError } from '../sip2/bridge/mapping.js';

/** `host:port` or `[v6]:port`. */
export function parseHostPort(text: string): { host: string; port: number } {
  const at = text.lastIndexOf(':');
  const host = text.slice(0, at).replace(/^\[(.*)\]$/, '$1');
  const port = Number(text.slice(at + 1));
  if (!host || !Number.isInteger(port) || port < 1 || port > 65_535)
    throw new ConfigError(`invalid configuration: SIP2_UPSTREAM: ${text} is not host:port`);
  return { host, port };
}

function readPem(setting: string, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (cause) {
    throw new ConfigError(`invalid configuration: ${setting}: cannot read ${file}: ${(cause as Error).message}`, { cause });
  }
}

/** `kiosk-fleet sip2-bridge`: the bridge from the settings; a bad setting or mapping stops the start. */
export async function startSip2BridgeFromConfig(config: Config, logger: Logger): Promise<RunningSip2Bridge> {
  if (!config.SIP2_UPSTREAM)
    throw new ConfigError('invalid configuration: SIP2_UPSTREAM: sip2-bridge needs the library system as host:port');
  if (!config.SIP2_MAP)
    throw new ConfigError('invalid configuration: SIP2_MAP: sip2-bridge needs the mapping file of its machines');
  let mapping;
  try {
    mapping = loadMapping(config.SIP2_MAP);
  } catch (error) {
    if (error instanceof MappingError)
      throw new ConfigError(`invalid configuration: SIP2_MAP: ${error.message} [${error.code}]`, { cause: error });
    throw error;
  }
  const listenTls =
    config.SIP2_TLS_CERT_FILE && config.SIP2_TLS_KEY_FILE
      ? {
          cert: readPem('SIP2_TLS_CERT_FILE', config.SIP2_TLS_CERT_FILE),
          key: readPem('SIP2_TLS_KEY_FILE', config.SIP2_TLS_KEY_FILE),
        }
      : undefined;
  const upstreamTls =
    config.SIP2_TLS_UPSTREAM === 'on'
      ? config.SIP2_TLS_UPSTREAM_CA_FILE
        ? { ca: readPem('SIP2_TLS_UPSTREAM_CA_FILE', config.SIP2_TLS_UPSTREAM_CA_FILE) }
        : {}
      : undefined;
  return startSip2Bridge({
    listen: { host: config.HOST, port: config.SIP2_LISTEN_PORT, ...(listenTls ? { tls: listenTls } : {}) },
    upstream: { ...parseHostPort(config.SIP2_UPSTREAM), ...(upstreamTls ? { tls: upstreamTls } : {}) },
    mapping,
    brokerUrl: config.MQTT_URL ?? `mqtt://127.0.0.1:${config.MQTT_PORT}`,
    topics: createTopics(config.TOPIC_ROOT),
    dataDir: config.DATA_DIR,
    timeZone: config.FLEET_TZ,
    offlineAfterMs: config.OFFLINE_AFTER_MS,
    acsResponseTimeoutMs: config.SIP2_ACS_TIMEOUT_MS,
    pauseScreenMessage: config.SIP2_PAUSE_MESSAGE,
    outboxMaxBytes: config.SIP2_OUTBOX_MAX_BYTES,
    logger,
  });
}
