import type { AedesOptions, Client } from 'aedes';
import { KIOSK_PUBLISH_CHANNELS, type Topics } from '../protocol/topics.js';
import type { Principal } from './principal.js';
import { addressOf, PolicyRefusal, type Rejection } from './rejection.js';

export type AclDecision =
  | { isAllowed: true }
  | {
      isAllowed: false;
      reason: 'publish_not_allowed' | 'retain_not_allowed' | 'subscribe_not_allowed';
      detail: string;
    };

const ALLOWED: AclDecision = { isAllowed: true };
/** Services may watch the broker's own `$SYS` reports (connections, subscriptions, heartbeats). */
const SYS_PREFIX = '$SYS/';

function describe(principal: Principal): string {
  return principal.kind === 'kiosk' ? `kiosk ${principal.kioskId}` : `service ${principal.name}`;
}

function isUnderRoot(topics: Topics, topicOrFilter: string): boolean {
  return topicOrFilter.startsWith(`${topics.root}/`);
}

/**
 * May this principal publish (or leave as its will) a message on `topic`? A kiosk speaks only on
 * its own status, events and telemetry topics and retains only its status; a service publishes
 * anywhere under the topic root.
 */
export function decidePublish(topics: Topics, principal: Principal, topic: string, isRetained: boolean): AclDecision {
  const who = describe(principal);
  // Topics starting with $ belong to the server ([MQTT-4.7.2-1]); aedes' default hook refuses
  // client publishes to $SYS/ and replacing the hook must not lose that.
  if (topic.startsWith('$')) {
    return {
      isAllowed: false,
      reason: 'publish_not_allowed',
      detail: `${who} may not publish on "${topic}": topics starting with $ are reserved for the broker`,
    };
  }
  if (principal.kind === 'service') {
    return isUnderRoot(topics, topic)
      ? ALLOWED
      : {
          isAllowed: false,
          reason: 'publish_not_allowed',
          detail: `${who} may publish only under "${topics.root}/", not on "${topic}"`,
        };
  }
  const parsed = topics.parse(topic);
  if (!parsed.ok || parsed.kioskId !== principal.kioskId || !KIOSK_PUBLISH_CHANNELS.includes(parsed.channel)) {
    return {
      isAllowed: false,
      reason: 'publish_not_allowed',
      detail: `${who} may publish only on its own ${KIOSK_PUBLISH_CHANNELS.join(', ')} topics, not on "${topic}"`,
    };
  }
  // Only status is a retained "last known value"; a retained event or reading would be replayed
  // to every new subscriber as if it had just happened.
  if (isRetained && parsed.channel !== 'status') {
    return {
      isAllowed: false,
      reason: 'retain_not_allowed',
      detail: `${who} may not retain messages on "${topic}": only its status is retained`,
    };
  }
  return ALLOWED;
}

/**
 * May this principal subscribe to `filter`? A kiosk reads exactly its own commands and acks
 * topics, no wildcards; a service reads anything under the topic root and `$SYS/`.
 */
export function decideSubscribe(topics: Topics, principal: Principal, filter: string): AclDecision {
  const who = describe(principal);
  if (principal.kind === 'service') {
    return isUnderRoot(topics, filter) || filter.startsWith(SYS_PREFIX)
      ? ALLOWED
      : {
          isAllowed: false,
          reason: 'subscribe_not_allowed',
          detail: `${who} may subscribe only under "${topics.root}/" or "${SYS_PREFIX}", not to "${filter}"`,
        };
  }
  const own = [topics.topic(principal.kioskId, 'commands'), topics.topic(principal.kioskId, 'acks')];
  return own.includes(filter)
    ? ALLOWED
    : {
        isAllowed: false,
        reason: 'subscribe_not_allowed',
        detail: `${who} may subscribe only to ${own.join(' and ')}, not to "${filter}"`,
      };
}

export interface AclOptions {
  topics: Topics;
  principalOf(client: Client): Principal | undefined;
  /** With the client whose operation was refused (none for an orphaned will): refusals are budgeted per connection. */
  onRejected(rejection: Rejection, client: Client | null): void;
}

export interface AclHooks {
  authorizePublish: NonNullable<AedesOptions['authorizePublish']>;
  authorizeSubscribe: NonNullable<AedesOptions['authorizeSubscribe']>;
}

/** aedes hooks applying {@link decidePublish} and {@link decideSubscribe} to authenticated clients. */
export function createAcl(options: AclOptions): AclHooks {
  const { topics, principalOf, onRejected } = options;

  function decideForClient(client: Client | null, topic: string, isRetained: boolean): AclDecision {
    if (client === null) {
      // Only wills reach aedes' authorizePublish without a client: those of sessions whose broker
      // stopped heartbeating (aedes.js _clearWills). Every will was checked at CONNECT (auth.ts);
      // refusing one here would not delete it, and aedes would emit 'error' for it on every sweep.
      return topic.startsWith('$')
        ? { isAllowed: false, reason: 'publish_not_allowed', detail: `an orphaned will may not publish on "${topic}"` }
        : ALLOWED;
    }
    const principal = principalOf(client);
    if (principal === undefined) {
      return {
        isAllowed: false,
        reason: 'publish_not_allowed',
        detail: `an unauthenticated client may not publish on "${topic}"`,
      };
    }
    return decidePublish(topics, principal, topic, isRetained);
  }

  return {
    // aedes calls this for every PUBLISH and for a will at delivery (lib/client.js close()). An
    // error makes aedes close the connection (lib/handlers/publish.js), or drop the will.
    authorizePublish(client, packet, callback) {
      const decision = decideForClient(client, packet.topic, packet.retain);
      if (decision.isAllowed) return callback(null);
      onRejected(
        {
          reason: decision.reason,
          clientId: client?.id,
          address: addressOf(client?.conn),
          topic: packet.topic,
          detail: decision.detail,
        },
        client,
      );
      callback(new PolicyRefusal(decision.detail));
    },
    // Answering (null, null) grants 0x80 for this filter alone ([MQTT-3.9.3]); an error would close
    // the connection (lib/handlers/subscribe.js storeSubscriptions).
    authorizeSubscribe(client, subscription, callback) {
      const principal = principalOf(client);
      const decision: AclDecision =
        principal === undefined
          ? {
              isAllowed: false,
              reason: 'subscribe_not_allowed',
              detail: `an unauthenticated client may not subscribe to "${subscription.topic}"`,
            }
          : decideSubscribe(topics, principal, subscription.topic);
      if (decision.isAllowed) return callback(null, subscription);
      onRejected(
        {
          reason: decision.reason,
          clientId: client.id,
          address: addressOf(client.conn),
          topic: subscription.topic,
          detail: decision.detail,
        },
        client,
      );
      callback(null, null);
    },
  };
}
