import { describe, expect, test } from 'vitest';
import { type AlertNoticeFacts, groupNotices } from '../../../collector/domain/notification-rules.js';
import {
  delayText,
  headlineText,
  noticeLineText,
  timeLeftText,
  type TextLanguage,
} from '../../../collector/domain/notification-text.js';

const OPENED = Date.parse('2026-11-22T00:30:00Z');
const HOUR = 3_600_000;
const format = (ms: number) => `${new Date(ms + 8 * HOUR).toISOString().slice(0, 16).replace('T', ' ')} GMT+8`;

const notice = (overrides: Partial<AlertNoticeFacts> = {}): AlertNoticeFacts => ({
  kind: 'opened',
  alertId: 'AL-K1-x',
  kioskId: 'K1',
  kioskName: 'Sanlitun 1',
  district: 'Sanlitun',
  component: 'rfid_reader',
  severity: 'critical',
  title: 'rfid reader: RFID_TIMEOUT',
  openedAtMs: OPENED,
  deadlineAtMs: OPENED + 24 * HOUR,
  step: null,
  percent: null,
  by: null,
  atMs: OPENED,
  ...overrides,
});
const options = (language: TextLanguage, nowMs = OPENED + 4 * HOUR + 55 * 60_000) => ({
  language,
  nowMs,
  formatTime: format,
  alertLink: (id: string) => `https://fleet.example/#/alerts/${id}`,
});

describe('the words of alert messages', () => {
  test.each([
    ['zh', notice(), '[严重] 新告警 - K1：rfid reader: RFID_TIMEOUT'],
    ['en', notice(), '[critical] New alert - K1: rfid reader: RFID_TIMEOUT'],
    [
      'zh',
      notice({ kind: 'escalated', step: 2, percent: 80 }),
      '[严重] 告警未确认（已过响应时限的 80 %） - K1：rfid reader: RFID_TIMEOUT',
    ],
    ['en', notice({ kind: 'resolved', severity: 'minor' }), '[minor] Alert resolved - K1: rfid reader: RFID_TIMEOUT'],
  ] as const)('a headline in %s: %s', (language, n, expected) => {
    expect(headlineText(groupNotices([n])[0]!, language)).toBe(expected);
  });

  test('a district’s digest names the district and the count, in either language', () => {
    const many = groupNotices([notice(), notice({ alertId: 'a2', kioskId: 'K2' }), notice({ alertId: 'a3', kioskId: 'K3' })])[0]!;
    expect(headlineText(many, 'zh')).toBe('[严重] 新告警 - Sanlitun 3 台机器');
    expect(headlineText(many, 'en')).toBe('[critical] New alert - 3 machines in Sanlitun');
  });

  test('a line gives the zone of its times, the time left on the 24-hour promise and the alert’s link', () => {
    expect(noticeLineText(notice(), options('en'))).toBe(
      'K1 Sanlitun 1 (Sanlitun): rfid reader: RFID_TIMEOUT, critical, opened 2026-11-22 08:30 GMT+8, ' +
        'deadline 2026-11-23 08:30 GMT+8, 19 h 5 min left https://fleet.example/#/alerts/AL-K1-x',
    );
    expect(noticeLineText(notice(), options('zh'))).toBe(
      'K1 Sanlitun 1（Sanlitun）：rfid reader: RFID_TIMEOUT, 严重, 2026-11-22 08:30 GMT+8 发生, ' +
        '时限 2026-11-23 08:30 GMT+8, 剩余 19 小时 5 分 https://fleet.example/#/alerts/AL-K1-x',
    );
  });

  test('a resolved alert’s line has no deadline; who resolved it is named', () => {
    expect(noticeLineText(notice({ kind: 'resolved', by: 'wang' }), { ...options('en'), alertLink: null })).toBe(
      'K1 Sanlitun 1 (Sanlitun): rfid reader: RFID_TIMEOUT, critical, opened 2026-11-22 08:30 GMT+8, by wang',
    );
  });

  test.each([
    [OPENED + 24 * HOUR - 60_000, 'en', '1 min left'],
    [OPENED + 24 * HOUR, 'en', '0 min left'],
    [OPENED + 26 * HOUR + 30 * 60_000, 'en', 'overdue by 2 h 30 min'],
    [OPENED + 26 * HOUR + 30 * 60_000, 'zh', '已超时 2 小时 30 分'],
  ] as const)('time left at %d in %s: %s', (now, language, expected) => {
    expect(timeLeftText(OPENED + 24 * HOUR, now, language)).toBe(expected);
  });

  test.each([
    [59_999, 'en', ''],
    [60_000, 'en', '(delayed 1 min)'],
    [12 * 60_000 + 5, 'zh', '（延迟 12 分钟）'],
  ] as const)('a message %d ms late reads %j in %s', (ms, language, expected) => {
    expect(delayText(ms, language)).toBe(expected);
  });
});
