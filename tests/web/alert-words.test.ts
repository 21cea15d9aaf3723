import { beforeAll, describe, expect, test, vi } from 'vitest';

type AlertWordsModule = typeof import('../../web/src/views/alerts/alert-words.js');
let alertWords: AlertWordsModule['alertWords'];

beforeAll(async () => {
  // The page's i18n reads the stored language and sets the document's when it loads: give it those globals.
  vi.stubGlobal('localStorage', { getItem: () => null, setItem: () => {} });
  vi.stubGlobal('navigator', { language: 'en' });
  vi.stubGlobal('document', { documentElement: {}, title: '' });
  ({ alertWords } = await import('../../web/src/views/alerts/alert-words.js'));
});

const problem = (kind: string, component: string, code: string) => ({
  kind,
  component,
  code,
  severity: 'critical',
  blocksLending: true,
  since: '2026-12-01T08:00:00Z',
  endedAt: null,
});

describe('an alert is named in words, in the page language, never by the server English title', () => {
  test.each([
    ['a fault', 'return_bin', [problem('fault', 'return_bin', 'BIN_FULL')], { en: 'Return bin full', zh: '还书箱已满' }],
    ['a machine offline', 'connection', [problem('offline', 'connection', 'OFFLINE')], { en: 'Machine offline', zh: '设备离线' }],
    [
      'a machine not lending',
      'lending',
      [problem('not_lending', 'lending', 'NOT_LENDING')],
      { en: 'Online but not lending', zh: '在线但没有借还' },
    ],
    [
      'a SIP2 bridge fault',
      'network',
      [problem('fault', 'network', 'SIP2_ACS_UNREACHABLE')],
      { en: 'Library system unreachable', zh: '无法连接图书馆系统' },
    ],
  ])('%s', (_what, component, problems, words) => {
    const alert = { component, problems, title: 'server title in English' } as unknown as Parameters<typeof alertWords>[1];
    expect(alertWords('en', alert)).toBe(words.en);
    expect(alertWords('zh', alert)).toBe(words.zh);
  });
});
