import { describe, expect, test } from 'vitest';
import { FrameHeaderTracker, type FrameVerdict } from '../../broker/frame-guard.js';
import { encodeRemainingLength } from './harness.js';

const MIB = 1024 * 1024;

/** A fixed header of `type` announcing `length`, followed by `bodyBytes` bytes of body. */
function packet(type: number, length: number, bodyBytes: number = length): number[] {
  return [type << 4, ...encodeRemainingLength(length), ...new Array<number>(bodyBytes).fill(0x61)];
}

const ok = (isConnectComplete: boolean): FrameVerdict => ({ ok: true, isConnectComplete });
const refused = (reason: string) => expect.objectContaining({ ok: false, reason });

type Case = [name: string, bytes: number[], maxPacketBytes: number, expected: unknown];

const cases: Case[] = [
  ['an empty CONNECT (length 0) is complete at its header', packet(1, 0), 100, ok(true)],
  ['a CONNECT header alone is not complete', packet(1, 10, 0), 100, ok(false)],
  ['a CONNECT missing its last byte is not complete', packet(1, 10, 9), 100, ok(false)],
  ['127 fits the 1-byte varint', packet(1, 127), 1_000, ok(true)],
  ['128 takes a 2-byte varint', packet(1, 128), 1_000, ok(true)],
  ['16,383 is the largest 2-byte varint', packet(1, 16_383, 5), 20_000, ok(false)],
  ['16,384 takes a 3-byte varint', packet(1, 16_384), 16_384, ok(true)],
  ['2,097,151 is the largest 3-byte varint', packet(1, 2_097_151, 3), 2_097_151, ok(false)],
  ['2,097,152 takes a 4-byte varint', packet(1, 2_097_152, 3), 4 * MIB, ok(false)],
  ['268,435,455 is the largest 4-byte varint', packet(1, 268_435_455, 0), 268_435_455, ok(false)],
  ['a length equal to the limit is accepted', packet(1, 300), 300, ok(true)],
  ['a length one over the limit is refused', packet(1, 301, 0), 300, refused('packet_too_large')],
  ['a CONNECT announcing 100 MiB is refused at its header', packet(1, 100 * MIB, 0), 256 * 1024, refused('packet_too_large')],
  [
    'the largest 4-byte length is refused under a smaller limit',
    packet(1, 268_435_455, 0),
    256 * 1024,
    refused('packet_too_large'),
  ],
  ['a 3-byte length over the limit is refused', packet(1, 16_384, 0), 16_383, refused('packet_too_large')],
  [
    'a continuation bit on the 4th length byte is malformed',
    [0x10, 0xff, 0xff, 0xff, 0xff],
    268_435_455,
    refused('malformed_header'),
  ],
  ['a 5-byte varint is malformed', [0x10, 0x80, 0x80, 0x80, 0x80, 0x01], 268_435_455, refused('malformed_header')],
  ['a PUBLISH first is refused', packet(3, 2), 100, refused('first_packet_not_connect')],
  ['a PINGREQ first is refused', packet(12, 0), 100, refused('first_packet_not_connect')],
  ['a CONNACK-typed first byte is refused', packet(2, 2), 100, refused('first_packet_not_connect')],
  ['CONNECT then a small PUBLISH is fine', [...packet(1, 12), ...packet(3, 20)], 100, ok(true)],
  ['CONNECT then a PUBLISH header alone is fine', [...packet(1, 12), ...packet(3, 20, 0)], 100, ok(true)],
  [
    'CONNECT then an oversize PUBLISH is refused',
    [...packet(1, 12), ...packet(3, 5 * MIB, 0)],
    256 * 1024,
    refused('packet_too_large'),
  ],
  [
    'CONNECT then a malformed header is refused',
    [...packet(1, 12), 0x30, 0x80, 0x80, 0x80, 0x80],
    100,
    refused('malformed_header'),
  ],
  ['a second CONNECT is left to aedes ([MQTT-3.1.0-2])', [...packet(1, 12), ...packet(1, 12)], 100, ok(true)],
  [
    'zero-length packets follow each other',
    [...packet(1, 0), ...packet(12, 0), ...packet(12, 0), ...packet(14, 0)],
    100,
    ok(true),
  ],
];

/**
 * The bytes cut in two at every boundary near the headers (the first and last 32 positions, which
 * hold every header of these cases), and fed one byte at a time when that stays cheap.
 */
function splits(bytes: number[]): Uint8Array[][] {
  const cuts = new Set<number>();
  for (let offset = 0; offset <= Math.min(32, bytes.length); offset += 1) {
    cuts.add(offset);
    cuts.add(bytes.length - offset);
  }
  const result = [...cuts].map((cut) => [Uint8Array.from(bytes.slice(0, cut)), Uint8Array.from(bytes.slice(cut))]);
  if (bytes.length <= 4_096) result.push(bytes.map((byte) => Uint8Array.of(byte)));
  return result;
}

function feed(maxPacketBytes: number, chunks: Uint8Array[]): FrameVerdict {
  const tracker = new FrameHeaderTracker(maxPacketBytes);
  let verdict: FrameVerdict = ok(false);
  for (const chunk of chunks) verdict = tracker.push(chunk);
  return verdict;
}

describe('FrameHeaderTracker', () => {
  test.each(cases)('%s, however the bytes are split into chunks', (_name, bytes, maxPacketBytes, expected) => {
    for (const chunks of splits(bytes)) {
      expect(feed(maxPacketBytes, chunks)).toEqual(expected);
    }
  });

  test('once refused, it stays refused whatever comes next', () => {
    const tracker = new FrameHeaderTracker(100);
    const first = tracker.push(Uint8Array.from(packet(1, 1_000, 0)));
    expect(first).toMatchObject({ ok: false, reason: 'packet_too_large' });
    expect(tracker.push(Uint8Array.from(packet(1, 0)))).toEqual(first);
  });

  test('a refusal says what the header announced', () => {
    const verdict = feed(256 * 1024, [Uint8Array.from(packet(1, 100 * MIB, 0))]);
    expect(verdict).toMatchObject({ detail: expect.stringContaining(String(100 * MIB)) });
  });

  test('it never reads a body byte-by-byte: a 64 MiB body passes in two large chunks', () => {
    const tracker = new FrameHeaderTracker(64 * MIB);
    const body = new Uint8Array(32 * MIB);
    expect(tracker.push(Uint8Array.from(packet(1, 64 * MIB, 0)))).toEqual(ok(false));
    expect(tracker.push(body)).toEqual(ok(false));
    expect(tracker.push(body)).toEqual(ok(true));
  });
});
