import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterEach, describe, expect, test } from 'vitest';
import { groupNotices } from '../../collector/domain/notification-rules.js';
import { fitToBytes, truncateUtf8, utf8Bytes } from '../../collector/notify/byte-limit.js';
import { fleetTimeFormatter } from '../../collector/notify/channel.js';
import { DINGTALK_MAX_BODY_BYTES, dingtalkPayload } from '../../collector/notify/dingtalk.js';
import { WECOM_MAX_CONTENT_BYTES, wecomPayload } from '../../collector/notify/wecom.js';
import { ManualScheduler } from '../support/manual-scheduler.js';
import { alertFacts, startNotifyWorld, T0 } from './notify-harness.js';
import { startStrictDingtalk, startStrictWecom } from './strict-receivers.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const style = {
  language: 'zh' as const,
  formatTime: fleetTimeFormatter('Asia/Shanghai'),
  publicUrl: 'https://fleet.library.example',
};
const context = { delayedMs: 0, nowMs: T0 };
/** One district's digest of `count` machines with Chinese names (3 bytes a character). */
const digestOf = (count: number) =>
  groupNotices(Array.from({ length: count }, (_, i) => alertFacts(i, { district: '望京' })))[0]!;

describe('text cut to a byte limit', () => {
  test.each([
    ['fits as it is', 'abc', 3, 'abc'],
    ['cut between characters, never inside one', '望京望京', 10, '望京…'],
    ['a 4-byte character is kept whole or left out', '😀😀', 7, '😀…'],
    ['the ellipsis counts', 'abcdef', 5, 'ab…'],
  ])('%s', (_what, text, maxBytes, expected) => {
    const cut = truncateUtf8(text, maxBytes);
    expect(cut).toBe(expected);
    expect(utf8Bytes(cut)).toBeLessThanOrEqual(maxBytes);
    expect(cut).not.toContain('\uFFFD');
  });

  test('as many lines as fit, and "… and N more" counts exactly what was left out', () => {
    const items = Array.from({ length: 10 }, (_, i) => `line ${i}`);
    const options = {
      head: ['HEAD'],
      items,
      more: (n: number) => `… and ${n} more`,
      join: (l: readonly string[]) => l.join('\n'),
    };
    for (let maxBytes = 4; maxBytes <= 80; maxBytes++) {
      const text = fitToBytes({ ...options, maxBytes });
      expect(utf8Bytes(text)).toBeLessThanOrEqual(maxBytes);
      const lines = text.split('\n');
      const shown = lines.filter((l) => l.startsWith('line ')).length;
      const more = lines.find((l) => l.startsWith('… and '));
      if (shown < 10 && maxBytes >= utf8Bytes('HEAD\n… and 10 more')) expect(more).toBe(`… and ${10 - shown} more`);
      if (more !== undefined) expect(more).toBe(`… and ${10 - shown} more`);
    }
  });
});

describe('each service’s exact limits, against receivers that refuse what the services refuse', () => {
  test('WeCom: a digest of 120 machines fills up to 4,096 bytes and no more, and says how many it left out', async () => {
    const clock = new ManualScheduler(T0);
    const robot = await startStrictWecom('k', { now: () => clock.now() });
    cleanups.push(robot.close);
    const world = await startNotifyWorld({ channels: [{ name: 'robot', type: 'wecom', url: `${robot.url}?key=k` }] }, clock);
    cleanups.push(world.cleanup);
    for (let i = 0; i < 120; i++) world.notifications.accept(alertFacts(i, { district: '望京' }));
    await world.advance(60_000);
    expect(robot.refused).toEqual([]);
    const contents = robot.accepted.map((r) => (r.body.markdown as { content: string }).content);
    const digest = contents.find((c) => c.includes('……另有'))!;
    const bytes = utf8Bytes(digest);
    expect(bytes).toBeLessThanOrEqual(WECOM_MAX_CONTENT_BYTES);
    expect(bytes).toBeGreaterThan(WECOM_MAX_CONTENT_BYTES - 300); // one more machine's line would not fit
    const shown = digest.split('\n').filter((l) => /^> K-\d{3} /.test(l)).length;
    const count = Number(/(\d+) 台机器/.exec(digest)![1]);
    expect(digest).toContain(`> ……另有 ${count - shown} 台`);
  });

  test.each([1, 20, 200, 2_000])('WeCom content of a %d-machine digest stays within 4,096 bytes', (count) => {
    const { content } = wecomPayload(digestOf(count), context, style).markdown;
    expect(utf8Bytes(content)).toBeLessThanOrEqual(WECOM_MAX_CONTENT_BYTES);
    expect(content).not.toContain('\uFFFD');
  });

  test.each([1, 200, 2_000])('DingTalk: a %d-machine digest is a body of at most 20,000 bytes', (count) => {
    const body = dingtalkPayload(digestOf(count), context, style);
    expect(utf8Bytes(JSON.stringify(body))).toBeLessThanOrEqual(DINGTALK_MAX_BODY_BYTES);
  });

  test('DingTalk: a 400-machine digest is taken by the strict robot, signed and within its size', async () => {
    const clock = new ManualScheduler(T0);
    const robot = await startStrictDingtalk('t', 'SECx', { now: () => clock.now() });
    cleanups.push(robot.close);
    const world = await startNotifyWorld(
      { channels: [{ name: 'robot', type: 'dingtalk', url: `${robot.url}?access_token=t`, secret: 'SECx' }] },
      clock,
    );
    cleanups.push(world.cleanup);
    for (let i = 0; i < 100; i++) world.notifications.accept(alertFacts(i, { district: '望京' }));
    await world.advance(60_000);
    expect(robot.refused).toEqual([]);
    expect(robot.accepted.length).toBeGreaterThan(0);
  });

  test('a resolved alert is green; a critical one red', () => {
    const resolved = groupNotices([alertFacts(1, { kind: 'resolved' })])[0]!;
    expect(wecomPayload(resolved, context, style).markdown.content).toMatch(/^\*\*<font color="info">\[严重\] 告警已解决/);
    expect(dingtalkPayload(resolved, context, style).markdown.text).toContain('<font color="#2e7d32">');
    expect(wecomPayload(digestOf(1), context, style).markdown.content).toMatch(/^\*\*<font color="warning">/);
  });
});

describe('e-mail refused for one of its recipients', () => {
  test('is not counted as delivered: it is held for a person, and not sent again to those who had it', async () => {
    const delivered: string[][] = [];
    const smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onRcptTo(address, _session, callback) {
        if (address.address === 'gone@library.example') {
          const error = Object.assign(new Error('mailbox unavailable'), { responseCode: 550 });
          return callback(error);
        }
        callback();
      },
      onData(stream, session, callback) {
        stream.resume();
        stream.on('end', () => {
          delivered.push(session.envelope.rcptTo.map((r) => r.address));
          callback();
        });
      },
    });
    smtp.listen(0, '127.0.0.1');
    await once(smtp.server, 'listening');
    cleanups.push(() => new Promise<void>((resolve) => smtp.close(() => resolve())));
    const port = (smtp.server.address() as AddressInfo).port;
    const world = await startNotifyWorld({
      channels: [
        {
          name: 'mail',
          type: 'email',
          smtp: { host: '127.0.0.1', port },
          from: 'kiosk-fleet@library.example',
          to: ['crew@library.example', 'gone@library.example'],
        },
      ],
    });
    cleanups.push(world.cleanup);
    world.notifications.accept(alertFacts(1));
    await world.advance(0);
    await world.advance(30 * 60_000);
    expect(delivered).toEqual([['crew@library.example']]);
    expect(world.notifications.health()[0]).toMatchObject({ state: 'failing', sent: 0, held: 1 });
    expect((await world.notifications.list({ states: ['held'], limit: 5 }))[0]?.lastError).toContain('gone@library.example');
  });
});
