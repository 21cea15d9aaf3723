/**
 * What every command of the CLI shares: the settings, the data directory's secrets and paths, the
 * registry, and the reference network's files. Apart from the composition (start-platform.ts) so
 * that its stages, and commands that start no platform (replay), can use it without importing it.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { type Calendar, createCalendar } from '../time/calendar.js';
import type { Config } from '../config/config.js';
import { loadOrCreatePostgresSecrets } from '../config/postgres-secrets.js';
import { loadOrCreateSecrets, readSecretsFile, type Secrets } from '../config/secrets.js';
import { createTopics, type Topics } from '../protocol/index.js';
import type { KioskRegistry } from '../registry/kiosk-registry.js';
import { openPostgresKioskRegistry, type PostgresKioskRegistry } from '../registry/postgres-kiosk-registry.js';
import { openKioskRegistry } from '../registry/sqlite-kiosk-registry.js';
import { assertReadableDataFormat, stampDataFormat } from '../datadir/format-stamp.js';

/** The reference fleet, circulation and fault catalogue (copied beside the build by `npm run build`). */
export const REFERENCE_DIR = fileURLToPath(new URL('../reference/', import.meta.url));

/** Machines in operation in the reference network's circulation table (docs/domain.md). */
export const REFERENCE_MACHINE_COUNT = 70;

export interface Foundation {
  config: Config;
  logger: Logger;
  topics: Topics;
  calendar: Calendar;
  secrets: Secrets;
  registry: KioskRegistry;
  /**
   * With DATABASE_URL, whether this node hears PostgreSQL now (the registry's LISTEN connection is
   * up): what the health's `database` component says. Null without it.
   */
  isDatabaseReachable: (() => boolean) | null;
  paths: { registry: string; events: string; simulator: string; simCredentials: string };
}

/**
 * What every command shares: settings, the data directory's secrets and the registry (in
 * PostgreSQL with DATABASE_URL, else `registry.sqlite`). A data directory written by a newer
 * release is refused before anything in it is opened.
 */
export async function openFoundation(config: Config, logger: Logger): Promise<Foundation> {
  const dataDir = config.DATA_DIR;
  assertReadableDataFormat(dataDir);
  stampDataFormat(dataDir);
  const paths = {
    registry: join(dataDir, 'registry.sqlite'),
    events: join(dataDir, 'events.sqlite'),
    simulator: join(dataDir, 'simulator'),
    simCredentials: join(dataDir, 'simulator', 'credentials.json'),
  };
  // With DATABASE_URL every node shares the database's secrets; a data directory's own (a platform
  // that ran without it) are adopted by the first node, and no file is written.
  const secrets = config.DATABASE_URL
    ? await loadOrCreatePostgresSecrets({ url: config.DATABASE_URL, adopt: readSecretsFile(dataDir) })
    : loadOrCreateSecrets(dataDir);
  const registry = await openRegistry(config, paths.registry, logger);
  return {
    config,
    logger,
    topics: createTopics(config.TOPIC_ROOT),
    calendar: createCalendar(config.FLEET_TZ),
    secrets,
    registry,
    isDatabaseReachable: 'isFollowing' in registry ? () => registry.isFollowing() : null,
    paths,
  };
}

const DAY_MS = 86_400_000;

/**
 * Where simulated time starts: SIM_START, or the start of the day SIM_HISTORY_DAYS before today in
 * the fleet's time zone. Machines resume where they stopped, so only a first start fills history.
 */
export function simulationStartMs(config: Config, calendar: Calendar, nowMs: number): number {
  if (!config.SIM_START) return calendar.startOfDay(calendar.dayOf(nowMs - config.SIM_HISTORY_DAYS * DAY_MS));
  if (/^\d{4}-\d{2}-\d{2}$/.test(config.SIM_START)) return calendar.startOfDay(config.SIM_START);
  return Date.parse(config.SIM_START);
}

function openRegistry(config: Config, file: string, logger: Logger): Promise<KioskRegistry | PostgresKioskRegistry> {
  const onError = (error: unknown) => logger.error({ err: error }, 'cannot read credential changes from the registry; retrying');
  if (config.DATABASE_URL) return openPostgresKioskRegistry({ url: config.DATABASE_URL, onFollowError: onError });
  return Promise.resolve(openKioskRegistry(file, { onCredentialsPollError: onError }));
}
