/** What aedes' default in-memory persistence offers for the outgoing QoS ≥ 1 queues (aedes-persistence 11). */
export interface OutgoingQueuePersistence {
  outgoingEnqueue(sub: { clientId: string }, packet: unknown): Promise<void>;
  outgoingEnqueueCombi(subs: { clientId: string }[], packet: unknown): Promise<void>;
  outgoingClearMessageId(client: { id: string }, packet: unknown): Promise<unknown>;
}

export interface OfflineQueueOptions {
  /** Messages held per client while it is offline; 0 for no cap. */
  maxPerClient: number;
  isOnline(clientId: string): boolean;
  /** Called for every message not queued for an offline client because its queue was full. */
  onDrop(clientId: string, topic: string): void;
}

export interface OfflineQueueStats {
  /** Messages not queued for offline persistent sessions because their queue was full. */
  dropped: number;
  /** The largest queue held now, in messages. */
  deepest: number;
}

/**
 * Bounds the queues aedes keeps for persistent sessions (clean=false) — the external collector's,
 * above all. aedes queues every QoS ≥ 1 message for each persistent subscriber, online or not,
 * and removes it on PUBACK; its default persistence has no limit, so an offline collector would
 * let the broker's memory grow with the whole fleet's traffic. Past `maxPerClient`, a message
 * for an *offline* subscriber is dropped (newest first: what is queued stays in order) and
 * counted; an online subscriber's queue holds only what is in flight to it. Dropping loses no
 * event: a machine keeps every event until the collector's application-level ack and resends.
 *
 * The wrapper counts each client's queue itself, since the persistence does not expose lengths:
 * +1 per enqueue, −1 per message cleared (PUBACK, PUBCOMP, or the flush of a clean session).
 */
export function boundOfflineQueues(persistence: OutgoingQueuePersistence, options: OfflineQueueOptions): () => OfflineQueueStats {
  const depths = new Map<string, number>();
  let dropped = 0;
  const enqueue = persistence.outgoingEnqueue.bind(persistence);
  const enqueueCombi = persistence.outgoingEnqueueCombi.bind(persistence);
  const clear = persistence.outgoingClearMessageId.bind(persistence);
  const add = (clientId: string) => depths.set(clientId, (depths.get(clientId) ?? 0) + 1);

  persistence.outgoingEnqueue = (sub, packet) => {
    add(sub.clientId);
    return enqueue(sub, packet);
  };
  persistence.outgoingEnqueueCombi = (subs, packet) => {
    const kept = subs.filter((sub) => {
      const isFull = options.maxPerClient > 0 && (depths.get(sub.clientId) ?? 0) >= options.maxPerClient;
      if (!isFull || options.isOnline(sub.clientId)) return true;
      dropped += 1;
      options.onDrop(sub.clientId, (packet as { topic?: string }).topic ?? '');
      return false;
    });
    for (const sub of kept) add(sub.clientId);
    return enqueueCombi(kept, packet);
  };
  persistence.outgoingClearMessageId = async (client, packet) => {
    const cleared = await clear(client, packet);
    if (cleared !== undefined) {
      const depth = (depths.get(client.id) ?? 1) - 1;
      if (depth > 0) depths.set(client.id, depth);
      else depths.delete(client.id);
    }
    return cleared;
  };
  return () => {
    let deepest = 0;
    for (const depth of depths.values()) deepest = Math.max(deepest, depth);
    return { dropped, deepest };
  };
}
