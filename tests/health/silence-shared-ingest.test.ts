import { EventEmitter } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { initialKioskState, type KioskLiveState } from '../../collector/domain/fleet-state.js';
import { lastHeardInStore, SilenceDetector } from '../../collector/health/silence-detector.js';
import type { Ingest } from '../../collector/ingest.js';
import type { EventRecord, EventStore } from '../../collector/store/event-store.js';
import { createSqliteEventStore } from '../../collector/store/sqlite-event-store.js';

/*
 * Collectors sharing an external broker's ingest (MQTT_SHARE_GROUP) each hear a share of every
 * machine's messages, and on one PostgreSQL each folds the others' appends: a machine this node has
 * not heard from for a while may be talking to the other collector. Its silence is confirmed
 * against the shared store before it is recorded.
 */
const TIMEOUT_MS = 60_000;
const T0 = Date.parse('2026-12-01T08:00:00Z');

/** The part of the ingest the detector uses: its events, and the platform's own records it writes. */
function fakeIngest() {
  const recorded: EventRecord[] = [];
  const emitter = new EventEmitter();
  const ingest = Object.assign(emitter, {
    recordPlatformEvents: async (records: readonly EventRecord[]) => {
      recorded.push(...records);
      return { inserted: records.map((r) => r.id), duplicates: [], conflicts: [], spooled: [] };
    },
  });
  return { ingest: ingest as unknown as Ingest, recorded };
}

const online = (kioskId: string): KioskLiveState => ({ ...initialKioskState(kioskId, '2026-12-01'), connection: 'online' });

describe('silence with a shared ingest', () => {
  let dir: string;
  let store: EventStore;
  let nowMs: number;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kiosk-silence-shared-'));
    store = createSqliteEventStore({ file: join(dir, 'events.db'), timeZone: 'Asia/Shanghai' });
    nowMs = T0;
  });
  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  function detector(ingest: Ingest, options: { confirmInStore: boolean }) {
    return new SilenceDetector({
      ingest,
      liveStates: () => [online('K1')],
      isReceiving: () => true,
      silentKioskIds: [],
      timeoutMs: TIMEOUT_MS,
      now: () => nowMs,
      logger: pino({ level: 'silent' }),
      ...(options.confirmInStore ? { heardSince: (id: string, since: number) => lastHeardInStore(store, id, since) } : {}),
    });
  }

  test('a machine heard by another collector (its telemetry in the shared store) is not recorded silent', async () => {
    const { ingest, recorded } = fakeIngest();
    const silence = detector(ingest, { confirmInStore: true });
    await silence.check(nowMs); // first look: the timeout starts
    nowMs += TIMEOUT_MS / 2;
    await store.appendTelemetry([{ kioskId: 'K1', tsMs: nowMs, readings: { binFillPercent: 10 } }]);
    nowMs += TIMEOUT_MS; // past the timeout since this node last heard it, not since the other did
    expect(await silence.check(nowMs)).toEqual([]);
    expect(recorded).toEqual([]);
    // Nothing from anyone for a whole timeout after that reading: silent, dated from it.
    nowMs += TIMEOUT_MS;
    expect(await silence.check(nowMs)).toEqual(['K1']);
    expect(recorded.map((r) => r.data)).toMatchObject([
      { type: 'kiosk_silent', lastHeardAt: new Date(T0 + TIMEOUT_MS / 2).toISOString() },
    ]);
  });

  test("a machine's loan stored by another collector counts as heard", async () => {
    const { ingest, recorded } = fakeIngest();
    const silence = detector(ingest, { confirmInStore: true });
    await silence.check(nowMs);
    nowMs += TIMEOUT_MS / 2;
    const ts = new Date(nowMs).toISOString();
    await store.append([
      { id: 'K1-l1', kioskId: 'K1', type: 'loan', ts, tsMs: nowMs, receivedMs: nowMs, data: { id: 'K1-l1', ts, type: 'loan' } },
    ]);
    nowMs += TIMEOUT_MS;
    expect(await silence.check(nowMs)).toEqual([]);
    expect(recorded).toEqual([]);
  });

  test('what another node stored from the machine, followed from the shared history, is heard', async () => {
    const { ingest, recorded } = fakeIngest();
    const silence = detector(ingest, { confirmInStore: false });
    silence.start();
    try {
      await silence.check(nowMs);
      nowMs += TIMEOUT_MS / 2;
      const ts = new Date(nowMs).toISOString();
      ingest.emit('followed', [
        {
          id: 'K1-r1',
          kioskId: 'K1',
          type: 'return',
          ts,
          tsMs: nowMs,
          receivedMs: nowMs,
          data: { id: 'K1-r1', ts, type: 'return' },
        },
      ]);
      nowMs += TIMEOUT_MS;
      expect(await silence.check(nowMs)).toEqual([]);
      expect(recorded).toEqual([]);
    } finally {
      silence.stop();
    }
  });

  test('without the store confirmation, a machine only the other collector heard is taken for silent', async () => {
    const { ingest } = fakeIngest();
    const silence = detector(ingest, { confirmInStore: false });
    await silence.check(nowMs);
    nowMs += TIMEOUT_MS / 2;
    await store.appendTelemetry([{ kioskId: 'K1', tsMs: nowMs, readings: { binFillPercent: 10 } }]);
    nowMs += TIMEOUT_MS;
    expect(await silence.check(nowMs)).toEqual(['K1']);
  });
});
