import type { Aedes, AedesPublishPacket } from 'aedes';
import { persistenceOf } from '../broker/aedes-persistence.js';
import type { CollectorTransport, MessageHandler } from './transport.js';

type Deliver = (packet: AedesPublishPacket, done: () => void) => void;

const toBuffer = (payload: Buffer | string) => (typeof payload === 'string' ? Buffer.from(payload) : payload);

/**
 * The collector inside the embedded broker's process: it subscribes to aedes directly and
 * publishes through it, instead of being an MQTT client of its own broker over loopback (a
 * PUBLISH + PUBACK and a parse on both sides for every event and every ack).
 *
 * A machine's QoS 1 PUBLISH is acknowledged by aedes once every subscriber's deliver callback
 * has returned; the callback returns at once, so PUBACK means "the collector has it in memory",
 * as it did over MQTT. Durability is the application-level ack, sent after the store commit. The
 * deliver callback must not wait for the store: aedes' mqemitter holds at most `concurrency`
 * (100) messages in delivery at a time, for every client, acks to machines included.
 *
 * The collector and the broker live and die together, so there is no session to keep; but
 * retained messages (machines' statuses) are replayed on subscribe, as a broker does for a new
 * MQTT subscription, so a status published before the collector subscribed is not missed.
 *
 * When the broker is one node of several (its bus shared through Redis), it also hands over what
 * machines on other nodes published: those are the other nodes' collectors' to store and ack, so
 * only packets this broker took in (`brokerId`, set by aedes as a packet enters) are passed on.
 */
export function attachLocalTransport(aedes: Aedes): CollectorTransport {
  const subscriptions: [topic: string, deliver: Deliver][] = [];
  let isClosed = false;
  const isFromThisNode = (packet: AedesPublishPacket) => {
    const brokerId = (packet as { brokerId?: unknown }).brokerId;
    return brokerId === undefined || brokerId === aedes.id;
  };

  return {
    async subscribe(topics, onMessage: MessageHandler) {
      const deliver: Deliver = (packet, done) => {
        if (!isClosed && isFromThisNode(packet)) onMessage(packet.topic, toBuffer(packet.payload));
        done();
      };
      for (const topic of topics) {
        await new Promise<void>((resolve) => aedes.subscribe(topic, deliver, resolve));
        subscriptions.push([topic, deliver]);
      }
      for await (const packet of persistenceOf(aedes).createRetainedStreamCombi([...topics])) {
        if (!isClosed) onMessage(packet.topic, toBuffer(packet.payload));
      }
    },
    publish(topic, payload, onError) {
      aedes.publish({ cmd: 'publish', topic, payload: Buffer.from(payload), qos: 1, retain: false, dup: false }, (error) => {
        if (error) onError?.(error);
      });
    },
    isConnected: () => !isClosed && !aedes.closed,
    async close() {
      isClosed = true;
      for (const [topic, deliver] of subscriptions.splice(0)) {
        await new Promise<void>((resolve) => aedes.unsubscribe(topic, deliver, resolve));
      }
    },
  };
}
