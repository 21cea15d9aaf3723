import { Duplex } from 'node:stream';
import type { Rejection, RejectionListener } from './rejection.js';

/** MQTT control packet type 1 ([MQTT-2.2.1]). */
const CONNECT_TYPE = 1;
/** The Remaining Length is at most four bytes long ([MQTT-2.2.3]). */
const MAX_LENGTH_BYTES = 4;
/** A fixed header is one type byte plus at most four length bytes. */
export const MAX_FIXED_HEADER_BYTES = 1 + MAX_LENGTH_BYTES;
/** Largest Remaining Length MQTT can express: 268,435,455 bytes ([MQTT-2.2.3]). */
export const MAX_REMAINING_LENGTH = 0x0fff_ffff;

export type FrameRejectionReason = 'packet_too_large' | 'first_packet_not_connect' | 'malformed_header';

export type FrameVerdict = { ok: true; isConnectComplete: boolean } | { ok: false; reason: FrameRejectionReason; detail: string };

type ParseState = 'type' | 'length' | 'body';

/**
 * Follows the fixed headers of an MQTT byte stream, chunk by chunk, without keeping any bytes: it
 * reads the type nibble and the Remaining Length varint (which may straddle chunks) and then skips
 * the body by arithmetic. Pure, so every split of a byte sequence can be tested.
 */
export class FrameHeaderTracker {
  readonly #maxPacketBytes: number;
  #state: ParseState = 'type';
  #packetType = 0;
  #remainingLength = 0;
  #lengthBytes = 0;
  #bodyLeft = 0;
  #packetsStarted = 0;
  #isConnectComplete = false;
  #failure: FrameVerdict | undefined;

  constructor(maxPacketBytes: number) {
    this.#maxPacketBytes = maxPacketBytes;
  }

  /** Feeds the next bytes; once a verdict is a refusal, every later verdict is the same one. */
  push(chunk: Uint8Array): FrameVerdict {
    let offset = 0;
    while (this.#failure === undefined && offset < chunk.length) {
      offset = this.#step(chunk, offset);
    }
    return this.#failure ?? { ok: true, isConnectComplete: this.#isConnectComplete };
  }

  #step(chunk: Uint8Array, offset: number): number {
    if (this.#state === 'body') {
      const skipped = Math.min(this.#bodyLeft, chunk.length - offset);
      this.#bodyLeft -= skipped;
      if (this.#bodyLeft === 0) this.#endPacket();
      return offset + skipped;
    }
    const byte = chunk[offset] ?? 0;
    if (this.#state === 'type') this.#readTypeByte(byte);
    else this.#readLengthByte(byte);
    return offset + 1;
  }

  #readTypeByte(byte: number): void {
    this.#packetType = byte >> 4;
    // [MQTT-3.1.0-1]: the first packet from the client to the server MUST be a CONNECT.
    if (this.#packetsStarted === 0 && this.#packetType !== CONNECT_TYPE) {
      this.#fail('first_packet_not_connect', `first packet has type ${this.#packetType}, not CONNECT (1)`);
      return;
    }
    this.#packetsStarted += 1;
    this.#remainingLength = 0;
    this.#lengthBytes = 0;
    this.#state = 'length';
  }

  #readLengthByte(byte: number): void {
    // Little-endian base-128 varint, 7 bits per byte ([MQTT-2.2.3]).
    this.#remainingLength += (byte & 0x7f) * 128 ** this.#lengthBytes;
    this.#lengthBytes += 1;
    const hasMore = (byte & 0x80) !== 0;
    if (hasMore) {
      if (this.#lengthBytes === MAX_LENGTH_BYTES) {
        this.#fail('malformed_header', 'Remaining Length has a continuation bit on its fourth byte');
      }
      return;
    }
    if (this.#remainingLength > this.#maxPacketBytes) {
      this.#fail(
        'packet_too_large',
        `packet of type ${this.#packetType} announces ${this.#remainingLength} bytes, over the ${this.#maxPacketBytes}-byte limit`,
      );
      return;
    }
    this.#bodyLeft = this.#remainingLength;
    this.#state = 'body';
    if (this.#bodyLeft === 0) this.#endPacket();
  }

  #endPacket(): void {
    if (this.#packetsStarted === 1 && this.#packetType === CONNECT_TYPE) this.#isConnectComplete = true;
    this.#state = 'type';
  }

  #fail(reason: FrameRejectionReason, detail: string): void {
    this.#failure = { ok: false, reason, detail };
  }
}

export interface FrameGuardOptions {
  /** Largest Remaining Length accepted; a header announcing more closes the connection. */
  maxPacketBytes: number;
  /** Time from accepting the connection to a complete CONNECT packet. */
  connectTimeoutMs: number;
  remoteAddress?: string | undefined;
  onRejected: RejectionListener;
}

/**
 * A Duplex between a raw connection (TCP socket or WebSocket stream) and aedes. Bytes only reach
 * aedes once the headers they belong to passed the tracker, so an oversize packet is refused from
 * its header: aedes' parser, which has no size limit in MQTT 3.1.1, never buffers its body.
 * Writes pass straight through, with the inner stream's back-pressure.
 */
export class FrameGuard extends Duplex {
  readonly remoteAddress: string | undefined;
  readonly #inner: Duplex;
  readonly #tracker: FrameHeaderTracker;
  readonly #onRejected: RejectionListener;
  #connectTimer: NodeJS.Timeout | undefined;

  constructor(inner: Duplex, options: FrameGuardOptions) {
    super({ allowHalfOpen: false });
    this.remoteAddress = options.remoteAddress;
    this.#inner = inner;
    this.#tracker = new FrameHeaderTracker(options.maxPacketBytes);
    this.#onRejected = options.onRejected;
    this.#connectTimer = setTimeout(() => {
      this.#reject('connect_timeout', `no complete CONNECT within ${options.connectTimeoutMs} ms`);
    }, options.connectTimeoutMs);
    inner.on('data', (chunk: Buffer) => this.#onData(chunk));
    inner.on('end', () => this.push(null));
    inner.on('error', (error: Error) => this.destroy(error));
    inner.on('close', () => this.destroy());
  }

  override _read(): void {
    this.#inner.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.#forward(chunk, callback);
  }

  /**
   * mqtt-packet writes a packet as several small pieces within one tick (corked by aedes);
   * passing them on as one buffer makes one socket write instead of one per piece.
   */
  override _writev(chunks: { chunk: Buffer }[], callback: (error?: Error | null) => void): void {
    this.#forward(Buffer.concat(chunks.map((c) => c.chunk)), callback);
  }

  #forward(chunk: Buffer, callback: (error?: Error | null) => void): void {
    if (this.#inner.write(chunk)) callback();
    else this.#inner.once('drain', () => callback());
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.#inner.end();
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#clearConnectTimer();
    this.#inner.destroy();
    callback(error);
  }

  #onData(chunk: Buffer): void {
    const verdict = this.#tracker.push(chunk);
    if (!verdict.ok) {
      this.#reject(verdict.reason, verdict.detail);
      return;
    }
    if (verdict.isConnectComplete) this.#clearConnectTimer();
    if (!this.push(chunk)) this.#inner.pause();
  }

  #reject(reason: Rejection['reason'], detail: string): void {
    if (this.destroyed) return;
    this.#clearConnectTimer();
    this.#inner.destroy();
    this.destroy();
    this.#onRejected({ reason, detail, address: this.remoteAddress });
  }

  #clearConnectTimer(): void {
    clearTimeout(this.#connectTimer);
    this.#connectTimer = undefined;
  }
}
