import { describe, expect, test } from 'vitest';
import {
  formatDuration,
  initialPlatformWatch,
  observePlatform,
  type PlatformComponentSample,
  type PlatformNotice,
  type PlatformNoticePolicy,
  platformHeadlineOf,
  platformLinesOf,
  platformMessageOf,
  type PlatformSample,
} from '../../../collector/domain/platform-notices.js';
import { channelsFor, notificationRuleSchema, platformChannelsOf } from '../../../collector/domain/notification-rules.js';

const T0 = Date.parse('2026-11-22T00:00:00Z');
const policy: PlatformNoticePolicy = { debounceMs: 30_000, dropIntervalMs: 60_000 };
const ok: PlatformComponentSample = { state: 'ok', detail: '12 events stored since start' };
const failing: PlatformComponentSample = { state: 'degraded', detail: 'writes failing (disk I/O error); 40 events spooled' };

interface Look {
  atS: number;
  store?: PlatformComponentSample;
  collector?: PlatformComponentSample;
  spool?: number;
  offlineQueue?: number;
}

/** Feeds looks (seconds after T0) in order; answers every notice with the second it came at. */
function run(looks: Look[], p: PlatformNoticePolicy = policy): (PlatformNotice & { atS: number })[] {
  let state = initialPlatformWatch();
  const told: (PlatformNotice & { atS: number })[] = [];
  for (const look of looks) {
    const sample: PlatformSample = {
      atMs: T0 + look.atS * 1000,
      components: { store: look.store ?? ok, collector: look.collector ?? { state: 'ok', detail: 'subscribed' } },
      drops: { spool: look.spool ?? 0, offlineQueue: look.offlineQueue ?? 0, idConflict: 0 },
    };
    const observed = observePlatform(state, sample, p);
    state = observed.state;
    told.push(...observed.notices.map((n) => ({ ...n, atS: look.atS })));
  }
  return told;
}

/** Looks every 5 s from `fromS` to `toS` inclusive, all alike. */
const every5s = (fromS: number, toS: number, look: Omit<Look, 'atS'> = {}): Look[] =>
  Array.from({ length: Math.floor((toS - fromS) / 5) + 1 }, (_, i) => ({ ...look, atS: fromS + i * 5 }));

describe('platform notices from looks at the health', () => {
  test('a store degraded for the debounce is reported once, with its detail and since when', () => {
    const told = run([...every5s(0, 5), ...every5s(10, 60, { store: failing })]);
    expect(told).toEqual([
      {
        kind: 'opened',
        component: 'store',
        state: 'degraded',
        detail: failing.detail,
        sinceMs: T0 + 10_000,
        atMs: T0 + 40_000,
        atS: 40,
      },
    ]);
  });

  test('a component flapping between ok and degraded faster than the debounce is never reported', () => {
    const looks = every5s(0, 300).map((l) => (l.atS % 20 < 10 ? { ...l, store: failing } : l));
    expect(run(looks)).toEqual([]);
  });

  test('recovery is told once the component stayed ok for the debounce, with how long the trouble lasted', () => {
    const told = run([...every5s(0, 95, { store: failing }), ...every5s(100, 140)]);
    expect(told.map((n) => [n.kind, n.atS])).toEqual([
      ['opened', 30],
      ['recovered', 130],
    ]);
    expect(told[1]).toMatchObject({ component: 'store', detail: ok.detail, sinceMs: T0, durationMs: 100_000 });
  });

  test('a short return to ok during an open incident neither recovers it nor opens it again', () => {
    const told = run([
      ...every5s(0, 60, { store: failing }),
      ...every5s(65, 70),
      ...every5s(75, 120, { store: failing }),
      ...every5s(125, 160),
    ]);
    expect(told.map((n) => [n.kind, n.atS])).toEqual([
      ['opened', 30],
      ['recovered', 155],
    ]);
    expect(told[1]).toMatchObject({ durationMs: 125_000 });
  });

  test('going from degraded to down during an open incident is told at once', () => {
    const down: PlatformComponentSample = { state: 'down', detail: 'not connected to the broker; reconnecting' };
    const told = run([...every5s(0, 40, { collector: { state: 'degraded', detail: 'slow' } }), { atS: 45, collector: down }]);
    expect(told.map((n) => [n.kind, n.kind === 'opened' ? n.state : '', n.atS])).toEqual([
      ['opened', 'degraded', 30],
      ['opened', 'down', 45],
    ]);
  });

  test('an external broker counts as ok', () => {
    expect(run(every5s(0, 100, { store: { state: 'external', detail: 'external broker' } }))).toEqual([]);
  });

  test.each<[string, Look[], [number, number, number, number][]]>([
    ['the first drop is told at once', [{ atS: 0 }, { atS: 5, spool: 3 }], [[5, 3, 3, 5]]],
    [
      'more drops within the interval wait, then are told together with since when',
      [
        { atS: 0, spool: 3 },
        { atS: 10, spool: 3 },
        { atS: 20, spool: 7 },
        { atS: 40, spool: 9 },
        { atS: 60, spool: 9 },
      ],
      [
        [0, 3, 3, 0],
        [60, 6, 9, 20],
      ],
    ],
    ['no new drops, no notice', [{ atS: 0, spool: 2 }, ...every5s(5, 300, { spool: 2 })], [[0, 2, 2, 0]]],
    [
      'a counter that went back (a restart) starts again from there',
      [
        { atS: 0, spool: 5 },
        { atS: 100, spool: 1 },
        { atS: 200, spool: 4 },
      ],
      [
        [0, 5, 5, 0],
        [200, 3, 4, 200],
      ],
    ],
  ])('spool drops: %s', (_name, looks, expected) => {
    const told = run(looks);
    expect(told.map((n) => (n.kind === 'dropped' ? [n.atS, n.count, n.total, (n.sinceMs - T0) / 1000] : null))).toEqual(expected);
  });

  test('offline-queue drops are counted apart from the spool', () => {
    const told = run([{ atS: 0, offlineQueue: 10, spool: 1 }]);
    expect(told.map((n) => (n.kind === 'dropped' ? [n.counter, n.count] : null))).toEqual([
      ['spool', 1],
      ['offlineQueue', 10],
    ]);
  });

  test('with no debounce, trouble is told at the first look that sees it', () => {
    const told = run([{ atS: 0 }, { atS: 5, store: failing }, { atS: 10 }], { debounceMs: 0, dropIntervalMs: 0 });
    expect(told.map((n) => [n.kind, n.atS])).toEqual([
      ['opened', 5],
      ['recovered', 10],
    ]);
  });
});

describe('platform messages', () => {
  const format = (ms: number) => new Date(ms).toISOString().slice(11, 16);
  test('one look is one message: headline of every notice, one line each', () => {
    const message = platformMessageOf([
      { kind: 'opened', component: 'store', state: 'degraded', detail: 'writes failing', sinceMs: T0, atMs: T0 + 30_000 },
      { kind: 'dropped', counter: 'spool', count: 12, total: 20, sinceMs: T0 + 20_000, atMs: T0 + 30_000 },
    ]);
    expect(platformHeadlineOf(message)).toBe('[platform] store degraded; 12 events dropped (spool)');
    expect(platformLinesOf(message, format)).toEqual([
      'store degraded since 00:00: writes failing',
      '12 events refused by the full spool (not acked; machines resend them) since 00:00; 20 since start',
    ]);
  });

  test.each([
    [45_000, '45 s'],
    [12 * 60_000, '12 min'],
    [3 * 3_600_000 + 5 * 60_000, '3 h 5 min'],
    [2 * 3_600_000, '2 h'],
  ])('a duration of %i ms reads %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});

describe('rules for platform notices', () => {
  const parse = (rule: unknown) => notificationRuleSchema.parse(rule);
  const alert = {
    kind: 'opened' as const,
    alertId: 'A',
    kioskId: 'K1',
    kioskName: 'K1',
    district: 'Sanlitun',
    component: 'rfid_reader' as const,
    severity: 'critical' as const,
    title: 't',
    openedAtMs: T0,
    deadlineAtMs: T0,
    step: null,
    percent: null,
    by: null,
    atMs: T0,
  };

  test('a rule without sources takes alerts only, as before platform notices existed', () => {
    const rules = [parse({ channels: ['crew'] }), parse({ channels: ['ops'], sources: ['platform'] })];
    expect(platformChannelsOf(rules)).toEqual(['ops']);
    expect(channelsFor(alert, rules)).toEqual(['crew']);
  });

  test('a rule can take both', () => {
    const rules = [parse({ channels: ['ops'], sources: ['alerts', 'platform'], severities: ['critical'] })];
    expect(platformChannelsOf(rules)).toEqual(['ops']);
    expect(channelsFor(alert, rules)).toEqual(['ops']);
  });

  test.each(['severities', 'districts', 'kinds', 'minStep'])(
    'a platform-only rule with the alert condition %s is refused',
    (condition) => {
      const value = { severities: ['critical'], districts: ['Sanlitun'], kinds: ['opened'], minStep: 2 }[condition];
      expect(() => parse({ channels: ['ops'], sources: ['platform'], [condition]: value })).toThrow(/filters alerts/);
    },
  );
});
