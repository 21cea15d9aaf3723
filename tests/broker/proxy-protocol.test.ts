import { describe, expect, test } from 'vitest';
import { parseProxyHeaderV2 } from '../../broker/proxy-protocol.js';

const SIGNATURE = [0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a];

/** A version 2 header as HAProxy sends it: PROXY (0x21) or LOCAL (0x20), then the address block. */
function header(command: number, familyTransport: number, block: number[]): Buffer {
  return Buffer.from([...SIGNATURE, command, familyTransport, block.length >> 8, block.length & 0xff, ...block]);
}
const ipv4Block = [127, 0, 0, 2, 127, 0, 0, 1, 0xc3, 0x50, 0x07, 0x5b]; // 127.0.0.2:50000 → 127.0.0.1:1883
const ipv6Block = [...Array(10).fill(0), 0xff, 0xff, 10, 1, 2, 3, ...Array(16).fill(0), 0x00, 0x50, 0x07, 0x5b];
const connect = [0x10, 0x02, 0x00, 0x00];

describe('parseProxyHeaderV2', () => {
  test.each([
    [
      'a TCP/IPv4 client',
      header(0x21, 0x11, ipv4Block),
      { kind: 'proxied', address: '127.0.0.2', port: 50_000, headerBytes: 28 },
    ],
    [
      'a TCP/IPv6 client (IPv4-mapped)',
      header(0x21, 0x21, ipv6Block),
      { kind: 'proxied', address: '::ffff:10.1.2.3', port: 80, headerBytes: 52 },
    ],
    ["HAProxy's own health check (LOCAL)", header(0x20, 0x00, []), { kind: 'local', headerBytes: 16 }],
    [
      'a header followed by the CONNECT',
      Buffer.concat([header(0x21, 0x11, ipv4Block), Buffer.from(connect)]),
      { kind: 'proxied', headerBytes: 28 },
    ],
  ])('reads %s', (_name, bytes, expected) => {
    expect(parseProxyHeaderV2(bytes)).toMatchObject(expected);
  });

  test('every prefix of a valid header is incomplete, never invalid', () => {
    const bytes = header(0x21, 0x11, ipv4Block);
    for (let end = 0; end < bytes.length; end += 1)
      expect(parseProxyHeaderV2(bytes.subarray(0, end))).toEqual({ kind: 'incomplete' });
  });

  test.each([
    ['an MQTT CONNECT without a header', Buffer.from(connect)],
    ['a version 1 (text) header', Buffer.from('PROXY TCP4 127.0.0.2 127.0.0.1 50000 1883\r\n')],
    ['version 3', header(0x31, 0x11, ipv4Block)],
    ['a UDP client', header(0x21, 0x12, ipv4Block)],
    ['an IPv4 block too short', header(0x21, 0x11, ipv4Block.slice(0, 8))],
    ['an address block over 512 bytes', header(0x21, 0x11, Array(600).fill(0))],
  ])('refuses %s', (_name, bytes) => {
    expect(parseProxyHeaderV2(bytes)).toMatchObject({ kind: 'invalid' });
  });
});
