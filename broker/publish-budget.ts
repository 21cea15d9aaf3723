import type { AedesOptions, Client } from 'aedes';
import type { Principal } from './principal.js';
import { addressOf, PolicyRefusal, type RejectionListener } from './rejection.js';
import { TokenBuckets } from './token-bucket.js';

/** The budget's window: rates are given per 10 s, like the connection rate. */
export const BUDGET_WINDOW_MS = 10_000;

export interface PublishBudgetOptions {
  /** PUBLISH packets a machine may send per 10 s, sustained; 0 turns the budget off. */
  ratePer10s: number;
  /** PUBLISH packets a machine may send at once after a quiet spell (an outbox flush). */
  burst: number;
  principalOf(client: Client): Principal | undefined;
  onRejected: RejectionListener;
  now?: () => number;
}

type AuthorizePublish = NonNullable<AedesOptions['authorizePublish']>;

/**
 * Wraps the ACL's authorizePublish with a per-machine token bucket. MQTT 3.1.1 cannot refuse one
 * PUBLISH and keep the connection (there is no negative PUBACK), so a machine over its budget is
 * disconnected: counted once per connection as `publish_rate_exceeded`, dead-lettered by the
 * platform. Nothing is lost: the machine keeps unacked events in its outbox and resends them
 * when it reconnects. The bucket belongs to the machine, not the connection, so reconnecting
 * does not refill it. Services (the collector) have no budget.
 */
export function withPublishBudget(authorize: AuthorizePublish, options: PublishBudgetOptions): AuthorizePublish {
  if (options.ratePer10s === 0) return authorize;
  const now = options.now ?? Date.now;
  const buckets = new TokenBuckets(
    { ratePerWindow: options.ratePer10s, windowMs: BUDGET_WINDOW_MS, burst: options.burst },
    now(),
  );
  const refused = new WeakSet<Client>();
  return (client, packet, callback) => {
    const principal = client === null ? undefined : options.principalOf(client);
    // A will is published by aedes as the connection closes (client.closed): not the machine's doing.
    if (client === null || client.closed || principal?.kind !== 'kiosk') return authorize(client, packet, callback);
    if (buckets.take(principal.kioskId, now())) return authorize(client, packet, callback);
    const detail = `kiosk ${principal.kioskId} sent more than ${options.burst} messages at once or ${options.ratePer10s} per 10 s sustained: disconnected`;
    if (!refused.has(client)) {
      refused.add(client);
      options.onRejected({
        reason: 'publish_rate_exceeded',
        clientId: client.id,
        address: addressOf(client.conn),
        topic: packet.topic,
        detail,
      });
    }
    callback(new PolicyRefusal(detail));
  };
}
