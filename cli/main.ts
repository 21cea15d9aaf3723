#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { Logger } from 'pino';
import { CONFIG_KEYS, ConfigError, type Config, keyToFlag, parseConfig } from '../config/config.js';
import { parseKioskCsv } from '../registry/csv-import.js';
import { type KioskInput, kioskRecordSchema } from '../registry/kiosk.js';
import { backupDataDir } from '../datadir/backup.js';
import { holdDataDir } from '../datadir/run-lock.js';
import { restoreDataDir } from '../datadir/restore.js';
import { commandUsage, isCommandName, usage } from './help.js';
import { createLogger } from './logger.js';
import { openFoundation, startEmbeddedBroker, startPlatform, startSimulator } from '../platform/index.js';
import { formatReplaySummary, replayYear } from './replay.js';
import { startSip2BridgeFromConfig } from './sip2-bridge.js';

type Stoppable = { stop(): Promise<void> };

/** Where people open the dashboard: https when it serves TLS. */
const dashboardUrl = (config: Config, port: number) => `${config.HTTPS === 'on' ? 'https' : 'http'}://localhost:${port}/`;

function runUntilSignal(logger: Logger, running: Stoppable): void {
  let isStopping = false;
  const shutdown = (signal: string) => {
    if (isStopping) return;
    isStopping = true;
    logger.info({ signal }, 'shutting down');
    const forced = setTimeout(() => {
      logger.error('shutdown took longer than 10 s; exiting');
      process.exit(1);
    }, 10_000);
    forced.unref();
    running.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

/** `provision` flags and the registry fields they fill. */
const PROVISION_FLAGS: Record<string, keyof KioskInput> = {
  id: 'id',
  name: 'name',
  'name-en': 'nameEn',
  address: 'address',
  district: 'district',
  'district-en': 'districtEn',
  lat: 'lat',
  lon: 'lon',
  model: 'model',
  installed: 'installedOn',
  'capacity-books': 'capacityBooks',
  lifecycle: 'lifecycle',
};
const NUMERIC_FIELDS = new Set<keyof KioskInput>(['lat', 'lon', 'capacityBooks']);

/** Every setting as a flag (`--sim-kiosks`), plus the `provision` flags; anything else is refused. */
function parseCommandLine(argv: string[]) {
  const options: Record<string, { type: 'string' | 'boolean' }> = { help: { type: 'boolean' } };
  for (const key of CONFIG_KEYS) options[keyToFlag(key)] = { type: 'string' };
  for (const flag of Object.keys(PROVISION_FLAGS)) options[flag] = { type: 'string' };
  options.year = { type: 'string' };
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: true });
  } catch (error) {
    const unknown = /Unknown option '([^']+)'/.exec((error as Error).message);
    throw new ConfigError(unknown ? `unknown option ${unknown[1]}; see kiosk-fleet help` : (error as Error).message);
  }
}

function provisionInput(flags: Record<string, string>): KioskInput {
  const input: Record<string, unknown> = {};
  for (const [flag, value] of Object.entries(flags)) {
    const field = PROVISION_FLAGS[flag]!;
    input[field] = NUMERIC_FIELDS.has(field) ? Number(value) : value;
  }
  const parsed = kioskRecordSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  const flagOf = (field: PropertyKey | undefined) =>
    Object.keys(PROVISION_FLAGS).find((f) => PROVISION_FLAGS[f] === field) ?? String(field);
  throw new ConfigError(parsed.error.issues.map((i) => `--${flagOf(i.path[0])}: ${i.message}`).join('; '));
}

async function main(argv: string[]): Promise<void> {
  const { positionals, values } = parseCommandLine(argv);
  const [command = 'help', ...rest] = positionals;
  if (command === 'help' || (values.help && !isCommandName(command))) {
    console.log(usage());
    return;
  }
  if (values.help && isCommandName(command)) {
    console.log(commandUsage(command));
    return;
  }
  const own: Record<string, string> = {};
  const settings: Record<string, string> = {};
  for (const [name, value] of Object.entries(values)) {
    if (typeof value !== 'string') continue;
    if (name in PROVISION_FLAGS || name === 'year') {
      if (command !== (name === 'year' ? 'replay' : 'provision'))
        throw new ConfigError(`unknown option --${name} for ${command}`);
      own[name] = value;
    } else settings[name] = value;
  }
  const config: Config = parseConfig(process.env, settings);
  const logger = createLogger(config.LOG_LEVEL);

  switch (command) {
    case 'start': {
      const platform = await startPlatform(config, logger);
      logger.info(
        {
          dashboard: dashboardUrl(config, platform.dashboard.port),
          mqtt: platform.mqttUrl,
          dataDir: config.DATA_DIR,
          simulatedKiosks: config.SIM_KIOSKS,
        },
        'platform running',
      );
      runUntilSignal(logger, platform);
      return;
    }
    case 'broker': {
      const f = await openFoundation(config, logger);
      const hold = holdDataDir(config.DATA_DIR, 'broker');
      const broker = await startEmbeddedBroker(f);
      logger.info({ mqtt: broker.port, ws: broker.wsPort }, 'broker running');
      runUntilSignal(logger, { stop: async () => (await broker.stop(), await f.registry.close(), hold.release()) });
      return;
    }
    case 'collector': {
      const platform = await startPlatform(config, logger, { broker: false, simulator: false });
      logger.info(
        { dashboard: dashboardUrl(config, platform.dashboard.port), mqtt: platform.mqttUrl },
        'collector and dashboard running',
      );
      runUntilSignal(logger, platform);
      return;
    }
    case 'simulator': {
      const f = await openFoundation(config, logger);
      const hold = holdDataDir(config.DATA_DIR, 'simulator');
      const url = config.MQTT_URL ?? `mqtt://127.0.0.1:${config.MQTT_PORT}`;
      const fleet = await startSimulator(f, url, { provision: !config.MQTT_URL });
      logger.info({ mqtt: url, kiosks: config.SIM_KIOSKS }, 'simulator running');
      runUntilSignal(logger, { stop: async () => (await fleet.stop(), await f.registry.close(), hold.release()) });
      return;
    }
    case 'sip2-bridge': {
      const bridge = await startSip2BridgeFromConfig(config, logger);
      logger.info(
        { sip2: bridge.port, machines: bridge.links.size, mqtt: config.MQTT_URL ?? 'local broker' },
        'SIP2 bridge running',
      );
      runUntilSignal(logger, bridge);
      return;
    }
    case 'provision': {
      const input = provisionInput(own);
      const f = await openFoundation(config, logger);
      try {
        const { kiosk, token } = await f.registry.provision(input);
        console.log(JSON.stringify({ id: kiosk.id, username: kiosk.id, clientId: kiosk.id, token }, null, 2));
      } finally {
        await f.registry.close();
      }
      return;
    }
    case 'import-kiosks': {
      const file = rest[0];
      if (!file) throw new ConfigError('import-kiosks needs a CSV file path');
      const result = parseKioskCsv(readFileSync(file, 'utf8'));
      for (const e of result.errors) console.error(`${file}:${e.line}: ${e.message}`);
      if (result.errors.length > 0) throw new ConfigError(`${result.errors.length} row(s) refused; nothing imported`);
      const f = await openFoundation(config, logger);
      const created = await f.registry.provisionMissing(result.kiosks);
      console.log('id,token');
      for (const { kiosk, token } of created) console.log(`${kiosk.id},${token}`);
      console.error(`${created.length} machine(s) registered, ${result.kiosks.length - created.length} already known`);
      await f.registry.close();
      return;
    }
    case 'replay': {
      console.log(formatReplaySummary(await replayYear(config, own.year, logger)));
      return;
    }
    case 'backup': {
      const file = rest[0];
      if (!file)
        throw new ConfigError('backup needs the path of the file to write, e.g. kiosk-fleet backup /backups/fleet.tar.gz');
      const manifest = await backupDataDir({ dataDir: config.DATA_DIR, file });
      const bytes = manifest.files.reduce((sum, f) => sum + f.bytes, 0);
      console.error(`${file}: ${manifest.files.length} files of ${config.DATA_DIR} (${bytes} bytes before compression)`);
      return;
    }
    case 'restore': {
      const file = rest[0];
      if (!file) throw new ConfigError('restore needs the path of a backup file');
      const manifest = await restoreDataDir({ file, dataDir: config.DATA_DIR });
      console.error(`${config.DATA_DIR}: ${manifest.files.length} files restored from the backup of ${manifest.createdAt}`);
      return;
    }
    default:
      throw new ConfigError(`unknown command "${command}"\n\n${usage()}`);
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  const code = (error as { code?: string }).code;
  console.error(`kiosk-fleet: ${(error as Error).message}${code ? ` [${code}]` : ''}`);
  process.exit(error instanceof ConfigError ? 2 : 1);
});
