import mqtt, { type ISubscriptionGrant, type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import { type CollectorTransport, CollectorSubscribeError } from './transport.js';

export interface MqttTransportOptions {
  url: string;
  username?: string;
  password?: string;
  /** Stable, so the broker keeps the collector's session (and queues for it) across restarts. */
  clientId: string;
  logger: Logger;
}

/**
 * The collector as an MQTT client of any broker (Mosquitto, a separate `kiosk-fleet broker`):
 * a persistent session, so the broker queues QoS 1 messages while the collector is away, and
 * mqtt.js reconnects by itself and sends what was published meanwhile.
 */
export async function connectMqttTransport(options: MqttTransportOptions): Promise<CollectorTransport> {
  const { logger } = options;
  const client = await mqtt.connectAsync(options.url, {
    clientId: options.clientId,
    clean: false,
    ...(options.username === undefined ? {} : { username: options.username }),
    ...(options.password === undefined ? {} : { password: options.password }),
    reconnectPeriod: 1_000,
    keepalive: 30,
  });
  client.on('error', (error) => logger.error({ err: error }, 'MQTT error'));
  client.on('offline', () => logger.warn('collector lost its broker connection; reconnecting'));
  client.on('connect', () => logger.info('collector connected to the broker'));
  let isClosing = false;

  return {
    async subscribe(topics, onMessage) {
      client.on('message', (topic, payload) => {
        if (!isClosing) onMessage(topic, payload);
      });
      const granted = await subscribeOnceConnected(client, [...topics], logger);
      const refused = granted.filter((g) => g.qos === 128);
      if (refused.length > 0) {
        await client.endAsync(true);
        throw new CollectorSubscribeError(
          `broker refused the collector's subscriptions: ${refused.map((g) => g.topic).join(', ')}`,
        );
      }
    },
    publish(topic, payload, onError) {
      client.publish(topic, payload, { qos: 1 }, (error) => {
        if (error) onError?.(error);
      });
    },
    isConnected: () => client.connected,
    async close() {
      // Not unsubscribing: the broker keeps queueing for the persistent session while we are down.
      await client.endAsync();
      isClosing = true;
    },
  };
}

/**
 * Subscribes, and again after the next reconnect if the connection drops before the broker
 * answers (a broker restarting, or one still closing this client id's previous connection):
 * a blip while the collector starts must not stop it. Any other failure is thrown.
 */
async function subscribeOnceConnected(client: MqttClient, topics: string[], logger: Logger): Promise<ISubscriptionGrant[]> {
  for (;;) {
    try {
      return await client.subscribeAsync(topics, { qos: 1 });
    } catch (error) {
      const isConnectionLost = !client.connected || (error as Error).message === 'Connection closed';
      if (client.disconnecting || !isConnectionLost) throw error;
      logger.warn({ err: error }, 'connection lost while subscribing; subscribing again once reconnected');
      if (!client.connected) await new Promise<void>((resolve) => client.once('connect', () => resolve()));
    }
  }
}
