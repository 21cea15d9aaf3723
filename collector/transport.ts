/** What the collector receives: one message a machine published on a subscribed topic. */
export type MessageHandler = (topic: string, payload: Buffer) => void;

/**
 * How the collector reaches the broker: machines' messages in, acks and commands out. Two
 * adapters: over MQTT to any broker (`connectMqttTransport`), and in the same process as the
 * embedded broker (`attachLocalTransport`), which skips the loopback MQTT round trip.
 */
export interface CollectorTransport {
  /** Subscribes QoS 1 to `topics` and hands every message on them to `onMessage`. */
  subscribe(topics: readonly string[], onMessage: MessageHandler): Promise<void>;
  /** Publishes QoS 1; `onError` when the broker could not take it. */
  publish(topic: string, payload: string, onError?: (error: Error) => void): void;
  /** Whether messages can flow now (false while an MQTT link is down, or once closed). */
  isConnected(): boolean;
  /** Stops receiving; publishes already handed over are flushed first where the adapter can. */
  close(): Promise<void>;
}

export class CollectorSubscribeError extends Error {
  readonly code = 'COLLECTOR_SUBSCRIBE_REFUSED';
}
