import { describe, expect, test } from 'vitest';
import { decidePublish, decideSubscribe } from '../../broker/acl.js';
import type { Principal } from '../../broker/principal.js';
import { createTopics } from '../../protocol/topics.js';

const topics = createTopics('kiosks');
const kiosk: Principal = { kind: 'kiosk', kioskId: 'k1' };
const service: Principal = { kind: 'service', name: 'collector' };

describe('decidePublish', () => {
  test.each([
    ['a kiosk, its own status, retained', kiosk, 'kiosks/k1/status', true, 'allowed'],
    ['a kiosk, its own events', kiosk, 'kiosks/k1/events', false, 'allowed'],
    ['a kiosk, its own telemetry', kiosk, 'kiosks/k1/telemetry', false, 'allowed'],
    ['a kiosk, its own events, retained', kiosk, 'kiosks/k1/events', true, 'retain_not_allowed'],
    ['a kiosk, its own telemetry, retained', kiosk, 'kiosks/k1/telemetry', true, 'retain_not_allowed'],
    ['a kiosk, another kiosk events', kiosk, 'kiosks/k2/events', false, 'publish_not_allowed'],
    ['a kiosk, another kiosk status', kiosk, 'kiosks/k2/status', true, 'publish_not_allowed'],
    ['a kiosk, its own commands', kiosk, 'kiosks/k1/commands', false, 'publish_not_allowed'],
    ['a kiosk, its own acks', kiosk, 'kiosks/k1/acks', false, 'publish_not_allowed'],
    ['a kiosk, an unknown channel', kiosk, 'kiosks/k1/firmware', false, 'publish_not_allowed'],
    ['a kiosk, a deeper topic', kiosk, 'kiosks/k1/events/extra', false, 'publish_not_allowed'],
    ['a kiosk, outside the root', kiosk, 'other/k1/events', false, 'publish_not_allowed'],
    ['a kiosk, $SYS', kiosk, '$SYS/broker/x', false, 'publish_not_allowed'],
    ['a service, a kiosk commands topic', service, 'kiosks/k1/commands', false, 'allowed'],
    ['a service, retained anywhere under the root', service, 'kiosks/fleet/summary', true, 'allowed'],
    ['a service, outside the root', service, 'elsewhere/x', false, 'publish_not_allowed'],
    ['a service, the bare root', service, 'kiosks', false, 'publish_not_allowed'],
    ['a service, $SYS', service, '$SYS/broker/x', false, 'publish_not_allowed'],
    ['a service, another $ topic', service, '$share/x', false, 'publish_not_allowed'],
  ] as const)('%s: %s', (_name, principal, topic, isRetained, expected) => {
    const decision = decidePublish(topics, principal, topic, isRetained);
    expect(decision.isAllowed ? 'allowed' : decision.reason).toBe(expected);
  });

  test('a refusal explains itself in a sentence naming the principal and the topic', () => {
    const decision = decidePublish(topics, kiosk, 'kiosks/k2/events', false);
    expect(decision).toMatchObject({ detail: expect.stringMatching(/kiosk k1 .*kiosks\/k2\/events/) });
  });
});

describe('decideSubscribe', () => {
  test.each([
    ['a kiosk, its own commands', kiosk, 'kiosks/k1/commands', true],
    ['a kiosk, its own acks', kiosk, 'kiosks/k1/acks', true],
    ['a kiosk, another kiosk acks', kiosk, 'kiosks/k2/acks', false],
    ['a kiosk, every kiosk', kiosk, 'kiosks/#', false],
    ['a kiosk, its own topics by wildcard', kiosk, 'kiosks/k1/#', false],
    ['a kiosk, every commands topic', kiosk, 'kiosks/+/commands', false],
    ['a kiosk, its own events', kiosk, 'kiosks/k1/events', false],
    ['a kiosk, $SYS', kiosk, '$SYS/#', false],
    ['a kiosk, everything', kiosk, '#', false],
    ['a service, every kiosk events', service, 'kiosks/+/events', true],
    ['a service, the whole root', service, 'kiosks/#', true],
    ['a service, $SYS', service, '$SYS/#', true],
    ['a service, everything', service, '#', false],
    ['a service, a wildcard above the root', service, '+/k1/events', false],
    ['a service, outside the root', service, 'other/#', false],
  ] as const)('%s: %s', (_name, principal, filter, isAllowed) => {
    expect(decideSubscribe(topics, principal, filter).isAllowed).toBe(isAllowed);
  });

  test('a topic root of several levels is honoured', () => {
    const nested = createTopics('city/library');
    expect(decideSubscribe(nested, { kind: 'kiosk', kioskId: 'k1' }, 'city/library/k1/acks').isAllowed).toBe(true);
    expect(decidePublish(nested, { kind: 'kiosk', kioskId: 'k1' }, 'kiosks/k1/events', false).isAllowed).toBe(false);
  });
});
