import { describe, expect, test } from 'vitest';
import {
  type AlertNoticeFacts,
  channelsFor,
  groupNotices,
  type NotificationRule,
} from '../../../collector/domain/notification-rules.js';

const notice = (overrides: Partial<AlertNoticeFacts> = {}): AlertNoticeFacts => ({
  kind: 'opened',
  alertId: 'AL-K1-x',
  kioskId: 'K1',
  kioskName: 'Sanlitun 1',
  district: 'Sanlitun',
  component: 'rfid_reader',
  severity: 'critical',
  title: 'rfid reader: RFID_TIMEOUT',
  openedAtMs: Date.parse('2026-11-22T00:30:00Z'),
  deadlineAtMs: Date.parse('2026-11-23T00:30:00Z'),
  step: null,
  percent: null,
  by: null,
  atMs: Date.parse('2026-11-22T00:30:00Z'),
  ...overrides,
});

const rules: NotificationRule[] = [
  { channels: ['all'] },
  { channels: ['crew-wecom'], severities: ['critical', 'major'], kinds: ['opened', 'escalated'] },
  { channels: ['wangjing-mail'], districts: ['Wangjing'] },
  { channels: ['managers'], kinds: ['escalated'], minStep: 2 },
];

describe('choosing channels by rules', () => {
  test.each<[string, Partial<AlertNoticeFacts>, string[]]>([
    ['a critical fault opened in Sanlitun', {}, ['all', 'crew-wecom']],
    ['a minor fault', { severity: 'minor' }, ['all']],
    ['a critical fault in Wangjing', { district: 'Wangjing' }, ['all', 'crew-wecom', 'wangjing-mail']],
    ['an acknowledgement (not a default kind)', { kind: 'acknowledged' }, []],
    ['a resolution', { kind: 'resolved' }, ['all']],
    ['the first escalation step', { kind: 'escalated', step: 1, percent: 50 }, ['all', 'crew-wecom']],
    ['the second escalation step', { kind: 'escalated', step: 2, percent: 80 }, ['all', 'crew-wecom', 'managers']],
    ['a machine of no district', { district: null, kind: 'escalated', step: 3, percent: 100 }, ['all', 'crew-wecom', 'managers']],
  ])('%s goes to %j', (_name, overrides, channels) => {
    expect(channelsFor(notice(overrides), rules)).toEqual(channels);
  });
});

describe('grouping notices into messages', () => {
  test('machines failing together in one district are one message; another district or kind is another', () => {
    const messages = groupNotices([
      notice({ alertId: 'a3', kioskId: 'K3', kind: 'opened' }),
      notice({ alertId: 'a1', kioskId: 'K1', kind: 'opened', severity: 'major' }),
      notice({ alertId: 'a2', kioskId: 'K2', kind: 'opened' }),
      notice({ alertId: 'b1', kioskId: 'W1', district: 'Wangjing' }),
      notice({ alertId: 'a1', kioskId: 'K1', kind: 'escalated', step: 1, percent: 50 }),
    ]);
    expect(messages.map((m) => [m.kind, m.district, m.severity, m.notices.map((n) => n.kioskId)])).toEqual([
      ['opened', 'Sanlitun', 'critical', ['K1', 'K2', 'K3']],
      ['opened', 'Wangjing', 'critical', ['W1']],
      ['escalated', 'Sanlitun', 'critical', ['K1']],
    ]);
    expect(messages[0]!.id).toBe('a1|opened|,a2|opened|,a3|opened|');
  });
});
