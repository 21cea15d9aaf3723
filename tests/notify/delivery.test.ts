import { afterEach, describe, expect, test } from 'vitest';
import type { WebhookPayload } from '../../collector/notify/webhook.js';
import { ManualScheduler } from '../support/manual-scheduler.js';
import { alertFacts, startIdempotentWebhook, startNotifyWorld, T0 } from './notify-harness.js';
import { startStrictDingtalk, startStrictWecom } from './strict-receivers.js';

const MINUTE = 60_000;
const SECRET = 'SEC0123456789abcdef';

/** Everything opened afterwards is closed, whatever the test's outcome. */
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
const track = <T extends { close?: () => Promise<void>; cleanup?: () => Promise<void> }>(thing: T): T => {
  cleanups.push(async () => {
    await (thing.cleanup ?? thing.close)?.();
  });
  return thing;
};

const alertIdsOf = (bodies: readonly Record<string, unknown>[]) =>
  bodies.flatMap((b) => (b as unknown as WebhookPayload).alerts.map((a) => a.alertId));

describe('an alert is never lost on its way to the crew', () => {
  test('a webhook down for 10 minutes: every alert opened meanwhile arrives once it is back, once each, oldest first and marked late', async () => {
    const hook = track(await startIdempotentWebhook());
    const world = track(await startNotifyWorld({ channels: [{ name: 'hook', type: 'webhook', url: hook.url }] }));
    hook.state.isDown = true;
    // 20 alerts over the 10 minutes, in two districts.
    for (let i = 0; i < 20; i++) {
      world.notifications.accept(alertFacts(i, { district: i % 2 === 0 ? '望京' : '三里屯', openedAtMs: world.scheduler.now() }));
      await world.advance(30_000);
    }
    expect(hook.taken()).toEqual([]);
    expect(world.notifications.health()[0]).toMatchObject({ state: 'retrying', queued: 20, oldestAgeMs: 10 * MINUTE });

    hook.state.isDown = false;
    await world.advance(7 * MINUTE); // the backoff's ceiling (5 min, +20 % jitter) passes
    const ids = alertIdsOf(hook.taken());
    expect([...ids].sort()).toEqual(Array.from({ length: 20 }, (_, i) => `AL-${i}`).sort());
    expect(new Set(ids).size).toBe(20);
    expect(ids[0]).toBe('AL-0');
    const first = hook.taken()[0] as unknown as WebhookPayload;
    expect(first.delayedMs).toBeGreaterThanOrEqual(10 * MINUTE);
    // What piled up went out as one digest per district, not one message per alert.
    expect(hook.taken().length).toBeLessThanOrEqual(3);
    expect(world.notifications.health()[0]).toMatchObject({ state: 'ok', queued: 0, oldestAgeMs: null });
    expect(await world.outbox.deliveriesOf('AL-7')).toMatchObject([{ channel: 'hook', state: 'sent' }]);
  });

  test.each([
    ['WeCom', 'wecom'],
    ['DingTalk', 'dingtalk'],
  ] as const)('50 alerts in one minute to a 20-a-minute %s robot: nothing lost, nothing over the limit', async (_name, type) => {
    const clock = new ManualScheduler(T0);
    const now = () => clock.now();
    const robot = track(
      type === 'wecom' ? await startStrictWecom('k', { now }) : await startStrictDingtalk('t', SECRET, { now }),
    );
    const channel =
      type === 'wecom'
        ? { name: 'robot', type, url: `${robot.url}?key=k` }
        : { name: 'robot', type, url: `${robot.url}?access_token=t`, secret: SECRET };
    const robotWorld = track(await startNotifyWorld({ channels: [channel] }, clock));
    // 50 machines in 50 districts: nothing to merge, so pacing alone must hold the rate.
    for (let i = 0; i < 50; i++) {
      robotWorld.notifications.accept(alertFacts(i));
      await robotWorld.advance(1_200);
    }
    await robotWorld.advance(3 * MINUTE);
    expect(robot.refused).toEqual([]);
    expect(robot.accepted).toHaveLength(50);
    const maxInAMinute = Math.max(
      ...robot.accepted.map((r) => robot.accepted.filter((o) => o.atMs > r.atMs - MINUTE && o.atMs <= r.atMs).length),
    );
    expect(maxInAMinute).toBeLessThanOrEqual(20);
    const text = robot.accepted.map((r) => JSON.stringify(r.body)).join('\n');
    for (let i = 0; i < 50; i++) expect(text).toContain(`K-${String(i).padStart(3, '0')} `);
  });

  test('a backlog behind the rate limit goes out as one digest per district and step', async () => {
    const clock = new ManualScheduler(T0);
    const robot = track(await startStrictWecom('k', { now: () => clock.now() }));
    const world = track(
      await startNotifyWorld({ channels: [{ name: 'robot', type: 'wecom', url: `${robot.url}?key=k` }] }, clock),
    );
    for (let i = 0; i < 60; i++) {
      world.notifications.accept(alertFacts(i, { district: `区 ${i % 3}` }));
      await world.advance(500);
    }
    await world.advance(2 * MINUTE);
    expect(robot.refused).toEqual([]);
    expect(robot.accepted.length).toBeLessThan(30);
    const text = robot.accepted.map((r) => JSON.stringify(r.body)).join('\n');
    for (let i = 0; i < 60; i++) expect(text).toContain(`K-${String(i).padStart(3, '0')} `);
  });

  test('messages pending at a stop (SIGTERM) are sent after the restart, once each', async () => {
    const hook = track(await startIdempotentWebhook());
    const world = track(await startNotifyWorld({ channels: [{ name: 'hook', type: 'webhook', url: hook.url }] }));
    hook.state.isDown = true;
    for (let i = 0; i < 5; i++) world.notifications.accept(alertFacts(i, { district: `区 ${i}` }));
    await world.advance(2_000);
    await world.stop();
    expect(hook.taken()).toEqual([]);

    hook.state.isDown = false;
    world.start();
    await world.advance(MINUTE);
    expect(alertIdsOf(hook.taken()).sort()).toEqual(['AL-0', 'AL-1', 'AL-2', 'AL-3', 'AL-4']);
    // The restart does not notify again what the engine tells it again.
    world.notifications.accept(alertFacts(1, { district: '区 1' }));
    await world.advance(MINUTE);
    expect(alertIdsOf(hook.taken())).toHaveLength(5);
  });

  test('a webhook slower than the time-out is tried again with the same idempotency key, and takes the message once', async () => {
    const hook = track(await startIdempotentWebhook());
    const world = track(await startNotifyWorld({ channels: [{ name: 'hook', type: 'webhook', url: hook.url, timeoutMs: 200 }] }));
    hook.state.answerDelayMs = 600;
    world.notifications.accept(alertFacts(1));
    await world.advance(0);
    hook.state.answerDelayMs = 0;
    await world.advance(10_000);
    expect(hook.attempts.length).toBe(2);
    const [a, b] = hook.attempts;
    expect(a!.key).toMatch(/^[0-9a-f-]{36}$/);
    expect(b!.key).toBe(a!.key);
    expect(a!.body.idempotencyKey).toBe(a!.key);
    expect(b!.body.idempotencyKey).toBe(a!.key);
    expect(hook.taken()).toHaveLength(1);
  });

  test('a robot slower than the time-out may have posted the message: it is held for a person, never sent blind', async () => {
    const clock = new ManualScheduler(T0);
    let requests = 0;
    const robot = track(
      await startStrictWecom('k', { now: () => clock.now(), answerDelayMs: () => (++requests === 1 ? 600 : 0) }),
    );
    const world = track(
      await startNotifyWorld({ channels: [{ name: 'robot', type: 'wecom', url: `${robot.url}?key=k`, timeoutMs: 200 }] }, clock),
    );
    world.notifications.accept(alertFacts(1));
    world.notifications.accept(alertFacts(2));
    await world.advance(0);
    await world.advance(30 * MINUTE);
    // The first went unanswered and is held; the second went on behind it.
    expect(robot.accepted).toHaveLength(2);
    const [held] = await world.notifications.list({ states: ['held'], limit: 10 });
    expect(held).toMatchObject({ channel: 'robot', attempts: 1, lastError: expect.stringContaining('may have arrived') });
    expect(world.notifications.health()[0]).toMatchObject({ state: 'failing', held: 1 });

    expect(await world.notifications.giveUp(held!.id, 'wang')).toBe(true);
    expect(world.notifications.health()[0]).toMatchObject({ state: 'ok', queued: 0 });
    expect(await world.notifications.entry(held!.id)).toMatchObject({ state: 'given_up', doneBy: 'wang' });
  });
});
