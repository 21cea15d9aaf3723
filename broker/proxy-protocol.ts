import type net from 'node:net';

/*
 * The PROXY protocol, version 2 (haproxy.org/download/2.6/doc/proxy-protocol.txt, section 2.2):
 * a load balancer that passes TCP through (HAProxy's `send-proxy-v2`) opens each connection to the
 * broker with a binary header naming the client's address, so limits and logs per address see the
 * machine, not the balancer.
 *
 * Ours rather than aedes-protocol-decoder 2.2: that package decodes inside aedes (its
 * `decodeProtocol` hook, on aedes' first read), but here the connection gate and the frame guard
 * act on the raw socket before aedes sees a byte: the gate must count the machine's address, and
 * the guard would refuse the header as a first packet that is not CONNECT.
 */

/** The 12 bytes every version 2 header starts with. */
const SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);
/** Signature, version/command, family/transport, and the 2-byte length of what follows. */
const FIXED_BYTES = 16;
/** Largest address block accepted: the addresses and a few TLVs (HAProxy sends a few dozen bytes). */
const MAX_BLOCK_BYTES = 512;

const COMMAND_LOCAL = 0x0;
const COMMAND_PROXY = 0x1;
const FAMILY_INET = 0x1;
const FAMILY_INET6 = 0x2;
const TRANSPORT_STREAM = 0x1;

export type ProxyHeader =
  | { kind: 'incomplete' }
  | { kind: 'invalid'; detail: string }
  /** The balancer's own connection (a health check): no client behind it. */
  | { kind: 'local'; headerBytes: number }
  | { kind: 'proxied'; address: string; port: number; headerBytes: number };

function ipv6Of(bytes: Buffer): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(bytes.readUInt16BE(i).toString(16));
  const text = groups.join(':');
  // ::ffff:a.b.c.d as Node writes an IPv4 client on a dual-stack socket.
  return text.startsWith('0:0:0:0:0:ffff:') ? `::ffff:${[...bytes.subarray(12)].join('.')}` : text;
}

/** Reads a version 2 header from the first bytes of a connection. Pure: every split can be tested. */
export function parseProxyHeaderV2(bytes: Buffer): ProxyHeader {
  const signatureSeen = bytes.subarray(0, SIGNATURE.length);
  if (!SIGNATURE.subarray(0, signatureSeen.length).equals(signatureSeen))
    return { kind: 'invalid', detail: 'no PROXY protocol v2 signature at the start of the connection' };
  if (bytes.length < FIXED_BYTES) return { kind: 'incomplete' };
  const versionCommand = bytes[12]!;
  const familyTransport = bytes[13]!;
  const blockBytes = bytes.readUInt16BE(14);
  if (versionCommand >> 4 !== 2) return { kind: 'invalid', detail: `PROXY protocol version ${versionCommand >> 4}, not 2` };
  if (blockBytes > MAX_BLOCK_BYTES)
    return { kind: 'invalid', detail: `PROXY header of ${blockBytes} bytes, over ${MAX_BLOCK_BYTES}` };
  const headerBytes = FIXED_BYTES + blockBytes;
  if (bytes.length < headerBytes) return { kind: 'incomplete' };
  const command = versionCommand & 0x0f;
  if (command === COMMAND_LOCAL) return { kind: 'local', headerBytes };
  if (command !== COMMAND_PROXY) return { kind: 'invalid', detail: `PROXY command ${command} is neither LOCAL nor PROXY` };
  const family = familyTransport >> 4;
  const block = bytes.subarray(FIXED_BYTES, headerBytes);
  if ((familyTransport & 0x0f) !== TRANSPORT_STREAM)
    return { kind: 'invalid', detail: 'PROXY header for a transport other than TCP' };
  if (family === FAMILY_INET && blockBytes >= 12)
    return { kind: 'proxied', address: [...block.subarray(0, 4)].join('.'), port: block.readUInt16BE(8), headerBytes };
  if (family === FAMILY_INET6 && blockBytes >= 36)
    return { kind: 'proxied', address: ipv6Of(block.subarray(0, 16)), port: block.readUInt16BE(32), headerBytes };
  return { kind: 'invalid', detail: `PROXY header with address family ${family} and ${blockBytes} address bytes` };
}

export class ProxyHeaderError extends Error {
  readonly code = 'BROKER_PROXY_HEADER_INVALID';
}

/**
 * Reads the PROXY header off a new connection and puts back what follows it (the CONNECT, when
 * the balancer sent both at once). Resolves with the client's address, or the socket's own for a
 * LOCAL header; rejects when the header is malformed, missing, or not complete within `timeoutMs`.
 */
export function readProxyHeader(socket: net.Socket, timeoutMs: number): Promise<{ address: string | undefined }> {
  return new Promise((resolve, reject) => {
    let received = Buffer.alloc(0);
    const finish = (error: Error | null, address?: string, rest?: Buffer) => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onClose);
      if (error) return reject(error);
      socket.pause();
      if (rest && rest.length > 0) socket.unshift(rest);
      resolve({ address });
    };
    const onData = (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const header = parseProxyHeaderV2(received);
      if (header.kind === 'incomplete') return;
      if (header.kind === 'invalid') return finish(new ProxyHeaderError(header.detail));
      const address = header.kind === 'proxied' ? header.address : socket.remoteAddress;
      finish(null, address, received.subarray(header.headerBytes));
    };
    const onClose = () => finish(new ProxyHeaderError('connection closed before its PROXY header was complete'));
    const timer = setTimeout(() => finish(new ProxyHeaderError(`no complete PROXY header within ${timeoutMs} ms`)), timeoutMs);
    socket.on('data', onData);
    socket.once('close', onClose);
  });
}
