import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { DEFAULT_ESCALATION_POLICY } from '../../collector/domain/escalation.js';
import type { HealthEntry } from '../../collector/domain/health-entry.js';
import { FleetHealth } from '../../collector/health/fleet-health.js';
import { Ingest } from '../../collector/ingest.js';
import type { EventRecord, EventStore } from '../../collector/store/event-store.js';
import { createSqliteEventStore } from '../../collector/store/sqlite-event-store.js';
import { createTopics } from '../../protocol/topics.js';
import { createCalendar } from '../../time/calendar.js';
import { DAY, generateHistory, START } from '../collector/domain/health-history-generator.js';

const KIOSKS = ['K1', 'K2', 'K3'];
const WINDOW_MS = 30 * DAY;
const HOUR = 3_600_000;

const recordOf = (e: HealthEntry): EventRecord => ({
  id: e.id,
  kioskId: e.kioskId,
  type: e.event.type,
  ts: new Date(e.tsMs).toISOString(),
  tsMs: e.tsMs,
  receivedMs: e.receivedMs,
  data: e.event as unknown as Record<string, unknown>,
});

/** What the live views show of the last `WINDOW_MS`, as plain data. */
function liveViews(health: FleetHealth, nowMs: number) {
  const fromMs = nowMs - WINDOW_MS;
  const window = { spec: '30d', fromMs, toMs: nowMs, countedToMs: nowMs };
  return {
    states: KIOSKS.map((k) => health.serviceState(k)),
    unresolved: health.alerts({ states: ['open', 'acknowledged'] }),
    recentAlerts: health.alerts().filter((a) => a.openedAtMs >= fromMs),
    timelines: KIOSKS.map((k) => health.timeline(k, fromMs, nowMs)),
    readers: KIOSKS.map((k) => health.readerTimeline(k, nowMs).filter((i) => i.toMs > fromMs).map((i) => ({ ...i, fromMs: Math.max(i.fromMs, fromMs) }))),
    uptime: health.uptime(window),
    readerUptime: health.readerUptime(window),
    reliability: health.reliability(window),
    notLending: KIOSKS.map((k) => health.notLending(k)),
    silent: health.silentKioskIds(),
  };
}

describe('fleet health keeps a bounded window of history in memory', () => {
  let dir: string;
  let store: EventStore;
  let ingest: Ingest;
  let nowMs: number;
  const started: FleetHealth[] = [];

  const startHealth = async (historyWindowMs: number) => {
    const health = new FleetHealth({
      store,
      ingest,
      calendar: createCalendar('UTC'),
      policy: DEFAULT_ESCALATION_POLICY,
      listKioskIds: () => KIOSKS,
      lifecycleOf: () => 'active',
      now: () => nowMs,
      logger: pino({ level: 'silent' }),
      checkIntervalMs: 3_600_000,
      historyWindowMs,
    });
    started.push(health);
    await health.start();
    return health;
  };

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kiosk-fleet-history-window-'));
    store = createSqliteEventStore({ file: join(dir, 'events.sqlite'), timeZone: 'UTC' });
    ingest = new Ingest({ topics: createTopics('kiosks'), store, logger: pino({ level: 'silent' }), publishAck: () => {} });
  });
  afterEach(async () => {
    for (const health of started.splice(0)) health.stop();
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('with four months of history, a 30-day window shows what the whole history shows, and keeps only the window in memory', async () => {
    const history = KIOSKS.flatMap((k, i) => generateHistory(100 + i, 150, k));
    const record = (fromMs: number, toMs: number) =>
      history.filter((e) => e.tsMs > fromMs && e.tsMs <= toMs).map(recordOf);
    nowMs = START + 120 * DAY;
    await store.append(record(Number.NEGATIVE_INFINITY, nowMs));

    const whole = await startHealth(Number.POSITIVE_INFINITY);
    const windowed = await startHealth(WINDOW_MS);
    expect(liveViews(windowed, nowMs)).toEqual(liveViews(whole, nowMs));
    const inWindow = history.filter((e) => e.tsMs > nowMs - WINDOW_MS - 10 * DAY && e.tsMs <= nowMs).length;
    expect(windowed.historySize()).toBeLessThan(whole.historySize() / 2);
    expect(windowed.historySize()).toBeLessThanOrEqual(inWindow + 10 * KIOSKS.length);

    // A month more arrives through the write path, day by day; each day the window moves on.
    const notices = { windowed: [] as unknown[], whole: [] as unknown[] };
    windowed.on('alert', (n) => notices.windowed.push(n));
    whole.on('alert', (n) => notices.whole.push(n));
    for (let day = 120; day < 150; day += 1) {
      const fromMs = nowMs;
      nowMs = START + (day + 1) * DAY + HOUR;
      await ingest.recordPlatformEvents(record(fromMs, nowMs));
      windowed.cutHistory(nowMs);
      expect(liveViews(windowed, nowMs)).toEqual(liveViews(whole, nowMs));
    }
    // Both announced the same changes: a cut announces nothing.
    expect(notices.windowed).toEqual(notices.whole);
    expect(notices.whole.length).toBeGreaterThan(0);
    const sizeAfter = windowed.historySize();
    const inLastWindow = history.filter((e) => e.tsMs > nowMs - WINDOW_MS - 10 * DAY).length;
    expect(sizeAfter).toBeLessThanOrEqual(inLastWindow + 10 * KIOSKS.length);
    expect(sizeAfter).toBeLessThan(whole.historySize() / 2);

    // Ranges older than the window are folded from the store, and agree with the whole history.
    const old = { spec: '2026-02', fromMs: Date.parse('2026-02-01T00:00:00Z'), toMs: Date.parse('2026-03-01T00:00:00Z'), countedToMs: Date.parse('2026-03-01T00:00:00Z') };
    const figures = await windowed.figuresFrom(old.fromMs);
    expect(figures).not.toBe(windowed);
    expect(windowed.uptime(old)).not.toEqual(whole.uptime(old));
    expect(figures.uptime(old)).toEqual(whole.uptime(old));
    expect(figures.readerUptime(old)).toEqual(whole.readerUptime(old));
    expect(figures.reliability(old)).toEqual(whole.reliability(old));
    expect(figures.timeline('K2', old.fromMs, old.toMs)).toEqual(whole.timeline('K2', old.fromMs, old.toMs));
    expect(figures.faultResponse('2026-02')).toEqual(whole.faultResponse('2026-02'));
    expect(whole.faultResponse('2026-02').alertsOpened).toBeGreaterThan(0);
    expect(await windowed.figuresFrom(nowMs - 7 * DAY)).toBe(windowed);
  });
});
