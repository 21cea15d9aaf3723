import { Aedes } from 'aedes';
import { afterEach, describe, expect, test } from 'vitest';
import { persistenceOf } from '../../broker/aedes-persistence.js';

/**
 * The platform reaches into aedes' persistence, which aedes' types leave out, in one adapter. This
 * fails if an aedes upgrade moves or renames what the offline-queue bound and the embedded
 * collector's retained replay use.
 */
describe("aedes' persistence, as the platform uses it", () => {
  let broker: Aedes | undefined;
  afterEach(async () => {
    await new Promise<void>((resolve) => (broker ? broker.close(() => resolve()) : resolve()));
    broker = undefined;
  });

  test('is there on a real broker, and replays a retained message by pattern', async () => {
    broker = await Aedes.createBroker();
    const persistence = persistenceOf(broker);
    await new Promise<void>((resolve, reject) =>
      broker!.publish(
        {
          cmd: 'publish',
          topic: 'kiosks/CY-001/status',
          payload: Buffer.from('{"state":"online"}'),
          qos: 1,
          retain: true,
          dup: false,
        },
        (error) => (error ? reject(error) : resolve()),
      ),
    );
    const replayed = [];
    for await (const packet of persistence.createRetainedStreamCombi(['kiosks/+/status'])) replayed.push(packet.topic);
    expect(replayed).toEqual(['kiosks/CY-001/status']);
  });

  test('a broker without it is refused with the missing parts named', () => {
    expect(() => persistenceOf({} as Aedes)).toThrow(
      "aedes' persistence lacks outgoingEnqueue, outgoingEnqueueCombi, outgoingClearMessageId, createRetainedStreamCombi",
    );
  });
});
