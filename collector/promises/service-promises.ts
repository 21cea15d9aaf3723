import type { Logger } from 'pino';
import type { Topics } from '../../protocol/index.js';
import type { KioskRecord } from '../../registry/kiosk.js';
import type { Calendar } from '../../time/calendar.js';
import type { SlaPolicy } from '../domain/reservations.js';
import type { Ingest } from '../ingest.js';
import type { EventStore } from '../store/event-store.js';
import { InspectionService } from './inspection-service.js';
import { ReservationService } from './reservation-service.js';

export interface ServicePromisesOptions {
  store: EventStore;
  ingest: Ingest;
  calendar: Calendar;
  topics: Topics;
  /** The machines as the registry knows them, read on each question. */
  listKiosks: () => readonly KioskRecord[];
  policy: SlaPolicy;
  maxClockSkewMs: number;
  logger: Logger;
  now?: () => number;
  /** Default one minute. */
  noticeCheckIntervalMs?: number;
}

export interface ServicePromises {
  inspections: InspectionService;
  reservations: ReservationService;
  stop(): void;
}

/** The weekly inspection and 72-hour reservation promises, loaded from the history and kept live. */
export async function startServicePromises(options: ServicePromisesOptions): Promise<ServicePromises> {
  const { store, ingest, calendar, topics, listKiosks, policy, maxClockSkewMs } = options;
  const now = options.now ?? Date.now;
  const logger = options.logger.child({ component: 'promises' });
  const inspections = new InspectionService({
    store,
    ingest,
    calendar,
    now,
    logger,
    maxClockSkewMs,
    kiosks: () => listKiosks().map((k) => ({ kioskId: k.id, lifecycle: k.lifecycle, installedOn: k.installedOn })),
  });
  const reservations = new ReservationService({
    store,
    ingest,
    calendar,
    topics,
    policy,
    now,
    logger,
    maxClockSkewMs,
    isKnownKiosk: (id) => listKiosks().some((k) => k.id === id),
    ...(options.noticeCheckIntervalMs === undefined ? {} : { checkIntervalMs: options.noticeCheckIntervalMs }),
  });
  try {
    await inspections.start();
    await reservations.start();
  } catch (error) {
    inspections.stop();
    reservations.stop();
    throw error;
  }
  return {
    inspections,
    reservations,
    stop() {
      reservations.stop();
      inspections.stop();
    },
  };
}
