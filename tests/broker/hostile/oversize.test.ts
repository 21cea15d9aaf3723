import { afterEach, describe, expect, test } from 'vitest';
import { MAX_REMAINING_LENGTH } from '../../../broker/frame-guard.js';
import { encodeRemainingLength, KIOSK_A, startHarness, topics, type Harness } from '../harness.js';
import { settledMemory, watchPeak } from './gc.js';
import { authenticatedSocket, probe } from './wire.js';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

const SOCKETS = 20;
/** What each hostile socket streams after its header, unless closed first. */
const BODY_BYTES = 2 * 1024 * 1024;
const CHUNK = Buffer.alloc(64 * 1024, 0x61);

/** Writes the header, then body chunks until the broker closes the socket or BODY_BYTES went out. */
async function streamOversize(socket: import('node:net').Socket, header: Buffer): Promise<void> {
  let sent = 0;
  // events.once would reject on the 'error' (ECONNRESET) a refused socket may raise first.
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.write(header);
  while (!socket.destroyed && sent < BODY_BYTES) {
    const isFlowing = socket.write(CHUNK);
    sent += CHUNK.length;
    if (!isFlowing) await Promise.race([new Promise((resolve) => socket.once('drain', resolve)), closed]);
  }
  await closed;
}

describe('oversize packets', () => {
  test(`${SOCKETS} unauthenticated sockets announcing ~256 MB each: all closed, memory grows < 20 MB`, async () => {
    harness = await startHarness({ wsPort: null });
    const sockets = await Promise.all(Array.from({ length: SOCKETS }, () => harness!.rawSocket()));
    const header = Buffer.from([0x10, ...encodeRemainingLength(MAX_REMAINING_LENGTH)]);
    const before = settledMemory();
    const peak = watchPeak();

    await Promise.all(sockets.map((socket) => streamOversize(socket, header)));
    const during = peak.stop();
    const after = settledMemory();

    expect(harness.rejectionsFor('packet_too_large')).toHaveLength(SOCKETS);
    expect(sockets.every((socket) => socket.destroyed)).toBe(true);
    expect(during.rssMiB - before.rssMiB).toBeLessThan(20);
    expect(during.heapMiB - before.heapMiB).toBeLessThan(20);
    expect(after.heapMiB - before.heapMiB).toBeLessThan(5);
    console.info(
      `oversize: ${SOCKETS} sockets, peak growth rss ${(during.rssMiB - before.rssMiB).toFixed(1)} MiB, heap ${(during.heapMiB - before.heapMiB).toFixed(1)} MiB`,
    );
    await probe(harness);
  });

  test('an authenticated machine announcing an oversize PUBLISH is closed before the body is buffered', async () => {
    harness = await startHarness({ wsPort: null, maxPacketBytes: 64 * 1024 });
    const { socket } = await authenticatedSocket(harness, KIOSK_A);
    const topic = Buffer.from(topics.topic(KIOSK_A, 'events'));
    const header = Buffer.concat([
      Buffer.from([0x30, ...encodeRemainingLength(MAX_REMAINING_LENGTH)]),
      Buffer.from([topic.length >> 8, topic.length & 0xff]),
      topic,
    ]);
    await streamOversize(socket, header);
    expect(harness.rejectionsFor('packet_too_large')).toMatchObject([{ address: '127.0.0.1' }]);
    expect(harness.broker.isKioskConnected(KIOSK_A)).toBe(false);
    await probe(harness);
  });
});
