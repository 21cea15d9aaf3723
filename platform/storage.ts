/**
 * The storage stage: every store the platform writes, and the one place that chooses their engines
 * from the settings (SQLite files in DATA_DIR by default; InfluxDB or PostgreSQL for the event
 * history; PostgreSQL for the shared logs with DATABASE_URL). A new engine for a store is chosen
 * here and nowhere else.
 */
import { join } from 'node:path';
import type { NotificationOutbox } from '../collector/notify/notification-outbox.js';
import { openPostgresNotificationOutbox } from '../collector/notify/postgres-notification-outbox.js';
import { openSqliteNotificationOutbox } from '../collector/notify/sqlite-notification-outbox.js';
import type { RetentionPolicy } from '../collector/domain/retention-policy.js';
import { startRetention } from '../collector/retention.js';
import type { EventStore } from '../collector/store/event-store.js';
import { checkInfluxAccess } from '../collector/store/influx-access-check.js';
import { createInfluxEventStore, type InfluxConnection } from '../collector/store/influx-event-store.js';
import { openPostgresEventStore, type PostgresEventStore } from '../collector/store/postgres-event-store.js';
import { openSpool, type Spool } from '../collector/store/spool.js';
import { createSqliteEventStore, type SqliteEventStore } from '../collector/store/sqlite-event-store.js';
import type { Config } from '../config/config.js';
import { type Auth, ensureFirstAdmin, openAuth } from '../dashboard/auth/auth-service.js';
import { openPostgresAuditLog } from '../dashboard/auth/postgres-audit-log.js';
import { openPostgresAuthStore } from '../dashboard/auth/postgres-auth-store.js';
import type { ExportLog } from '../dashboard/exports/export-log.js';
import { openPostgresExportLog } from '../dashboard/exports/postgres-export-log.js';
import { openSqliteExportLog } from '../dashboard/exports/sqlite-export-log.js';
import type { IndicatorTargetsStore } from '../dashboard/reports/indicator-targets.js';
import { openPostgresIndicatorTargets } from '../dashboard/reports/postgres-indicator-targets.js';
import { openSqliteIndicatorTargets } from '../dashboard/reports/sqlite-indicator-targets.js';
import type { Foundation } from './foundation.js';
import { buildStage, type Stoppable } from './stops.js';

export interface StorageInput {
  foundation: Foundation;
  /** From `checkStorageSettings`, run before anything started. */
  influx: InfluxConnection | undefined;
  /** Whether notifications are configured: their outbox is opened only then. */
  hasNotifications: boolean;
  /** The sessions' clock (they expire by it): tests move it. */
  now: () => number;
}

export interface Storage extends Stoppable {
  /** The event history, whatever its engine. */
  store: EventStore;
  /** The same store when it is the SQLite file (its disk is bounded by retention here), else null. */
  sqliteStore: SqliteEventStore | null;
  /**
   * With DATABASE_URL, what the other nodes append to the shared history, for this node's live
   * views; null when no other node writes this node's history (SQLite, InfluxDB).
   */
  followOtherNodes: PostgresEventStore['followOtherNodes'] | null;
  /** The collector's durable local spool (SPOOL_MAX_BYTES > 0), else null. */
  spool: Spool | null;
  /** What reports were handed out. */
  exportLog: ExportLog;
  /** The library's own indicator targets: in PostgreSQL with DATABASE_URL, else `DATA_DIR/reports.sqlite`. */
  indicatorTargets: IndicatorTargetsStore;
  /** People, sessions, integration tokens, audit log (`DATA_DIR/users.sqlite`). */
  auth: Auth;
  /** Notifications not yet sent, when notifications are configured (PostgreSQL with DATABASE_URL). */
  outbox: NotificationOutbox | null;
  /** The one-time password of the admin account this start created, if it created one (the CLI shows it). */
  firstAdminPassword: string | null;
}

/** InfluxDB is checked before anything starts, so a wrong setting stops the start with one line. */
export async function checkStorageSettings(config: Config): Promise<InfluxConnection | undefined> {
  const influx = influxConnectionOf(config);
  if (influx) await checkInfluxAccess({ ...influx, timeZone: config.FLEET_TZ });
  return influx;
}

/** Opens every store; stopping closes them in reverse, after the parts that write to them stopped. */
export function openStorage(input: StorageInput): Promise<Storage> {
  const { foundation: f, now } = input;
  const { config, logger } = f;
  return buildStage(logger, async (stops) => {
    const { store, sqlite: sqliteStore, followOtherNodes } = await openEventStore(f, input.influx);
    stops.defer(() => store.close());
    // InfluxDB keeps its bucket's own retention, PostgreSQL its operators'; the SQLite store keeps its
    // disk bounded here.
    if (sqliteStore) {
      const retention = startRetention({ store: sqliteStore, policy: retentionPolicyOf(config), logger });
      stops.defer(() => retention.stop());
    }
    // Closed after the collector: what it spooled stays for the next start.
    const spool =
      config.SPOOL_MAX_BYTES > 0
        ? openSpool({ file: join(config.DATA_DIR, 'spool.sqlite'), maxBytes: config.SPOOL_MAX_BYTES })
        : null;
    if (spool) stops.defer(() => spool.close());
    // The outbox outlives the dispatcher: what was not sent stays for the next start.
    const outbox = input.hasNotifications ? await openOutbox(f) : null;
    if (outbox) stops.defer(() => outbox.close());
    const exportLog = await openExportLog(f);
    stops.defer(() => exportLog.close());
    // Beside the export log: in PostgreSQL with DATABASE_URL (shared by every node), else in reports.sqlite.
    const indicatorTargets = config.DATABASE_URL
      ? await openPostgresIndicatorTargets({ url: config.DATABASE_URL, logger: logger.child({ component: 'indicator-targets' }) })
      : openSqliteIndicatorTargets(join(config.DATA_DIR, 'reports.sqlite'));
    stops.defer(() => indicatorTargets.close());
    const { auth, firstAdminPassword } = await openPeople(f, now, stops.defer.bind(stops));
    return { store, sqliteStore, followOtherNodes, spool, exportLog, indicatorTargets, auth, outbox, firstAdminPassword };
  });
}

/** The event history the settings select: InfluxDB, PostgreSQL (DATABASE_URL), or the SQLite file by default. */
async function openEventStore(
  f: Foundation,
  influx: InfluxConnection | undefined,
): Promise<{ store: EventStore; sqlite: SqliteEventStore | null; followOtherNodes: Storage['followOtherNodes'] }> {
  const { config } = f;
  const logger = f.logger.child({ component: 'store' });
  if (influx) {
    const store = createInfluxEventStore({
      ...influx,
      timeZone: config.FLEET_TZ,
      districtOf: (kioskId) => f.registry.get(kioskId)?.district,
      logger,
    });
    return { store, sqlite: null, followOtherNodes: null };
  }
  if (config.DATABASE_URL) {
    const store = await openPostgresEventStore({ url: config.DATABASE_URL, timeZone: config.FLEET_TZ, logger });
    return { store, sqlite: null, followOtherNodes: (onAppended) => store.followOtherNodes(onAppended) };
  }
  const sqlite = createSqliteEventStore({
    file: f.paths.events,
    timeZone: config.FLEET_TZ,
    synchronous: config.SQLITE_SYNCHRONOUS,
  });
  return { store: sqlite, sqlite, followOtherNodes: null };
}

/**
 * Notifications not yet sent: in PostgreSQL with DATABASE_URL, shared by every node so each notice
 * is recorded once and sent once; else `DATA_DIR/notifications.sqlite`.
 */
async function openOutbox(f: Foundation): Promise<NotificationOutbox> {
  const { config } = f;
  if (config.DATABASE_URL) {
    return openPostgresNotificationOutbox({ url: config.DATABASE_URL, logger: f.logger.child({ component: 'notifications' }) });
  }
  return openSqliteNotificationOutbox({ file: join(config.DATA_DIR, 'notifications.sqlite') });
}

/** What reports were handed out: in PostgreSQL with DATABASE_URL, shared by every node; else `DATA_DIR/reports.sqlite`. */
async function openExportLog(f: Foundation): Promise<ExportLog> {
  const { config } = f;
  if (config.DATABASE_URL) {
    return openPostgresExportLog({ url: config.DATABASE_URL, logger: f.logger.child({ component: 'export-log' }) });
  }
  return openSqliteExportLog(join(config.DATA_DIR, 'reports.sqlite'));
}

/**
 * People, sessions, tokens and the audit log in `DATA_DIR/users.sqlite` (the login limiter in
 * memory); with DATABASE_URL all of them in PostgreSQL, shared by every node. A new store gets its
 * first administrator here, before anyone can sign in.
 */
async function openPeople(
  f: Foundation,
  now: () => number,
  defer: (stop: () => Promise<void> | void) => void,
): Promise<{ auth: Auth; firstAdminPassword: string | null }> {
  const { config, logger } = f;
  const auditLog = config.DATABASE_URL
    ? await openPostgresAuditLog({ url: config.DATABASE_URL, logger: logger.child({ component: 'audit-log' }) })
    : null;
  if (auditLog) defer(() => auditLog.close());
  const sessions = { idleMs: config.SESSION_IDLE_MINUTES * 60_000, absoluteMs: config.SESSION_MAX_HOURS * 3_600_000 };
  const scrypt = { N: config.PASSWORD_SCRYPT_N, r: 8, p: 1 };
  const store = config.DATABASE_URL
    ? await openPostgresAuthStore({
        url: config.DATABASE_URL,
        now,
        sessions,
        scrypt,
        onIdleError: (error) => logger.warn({ err: error }, 'an idle connection of the accounts store failed'),
      })
    : undefined;
  const auth = openAuth({
    file: join(config.DATA_DIR, 'users.sqlite'),
    ...(store ? { store } : {}),
    ...(auditLog ? { audit: auditLog } : {}),
    now,
    sessions,
    scrypt,
  });
  defer(() => auth.close());
  // Shown by the CLI once everything runs (cli/first-admin-notice.ts), so it is the last thing on screen.
  const firstAdmin = await ensureFirstAdmin(auth, config.FLEET_ADMIN_PASSWORD);
  return { auth, firstAdminPassword: firstAdmin?.oneTimePassword ?? null };
}

export function retentionPolicyOf(config: Config): RetentionPolicy {
  return {
    telemetryRawDays: config.TELEMETRY_RAW_DAYS,
    telemetryHourlyDays: config.TELEMETRY_HOURLY_DAYS,
    deadLetterDays: config.DEAD_LETTER_DAYS,
    eventDays: config.EVENT_RETENTION_DAYS,
  };
}

/** The InfluxDB the settings select, if any: the configuration check makes the four go together. */
function influxConnectionOf(config: Config): InfluxConnection | undefined {
  const { INFLUX_URL: url, INFLUX_TOKEN: token, INFLUX_ORG: org, INFLUX_BUCKET: bucket } = config;
  return url && token && org && bucket ? { url, token, org, bucket } : undefined;
}
