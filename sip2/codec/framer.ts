/**
 * Cuts a SIP2 byte stream into messages. A message ends with CR; some SCs send CR LF, so an LF
 * right after a CR belongs to the message before it (and may arrive in the next TCP read). TCP
 * splits and joins freely: one read may hold half a message or three of them.
 *
 * The framer only observes: the proxy forwards the bytes it was given whatever comes out here.
 */
export type Frame =
  /** One message, without its terminator, as latin1 (one character per byte). */
  | { kind: 'message'; line: string }
  /**
   * A line grew past the limit without a terminator: reported once, as soon as it is too long (a
   * line may never end); its bytes are dropped up to the next CR.
   */
  | { kind: 'overflow'; bufferedBytes: number };

/** A SIP2 message is a few hundred bytes; a title field pushes it to 2 KiB at most in practice. */
export const DEFAULT_MAX_MESSAGE_BYTES = 65_536;

const CR = 0x0d;
const LF = 0x0a;

export interface Sip2Framer {
  /** The frames completed by these bytes, in order. */
  push(chunk: Buffer): Frame[];
  /** Bytes held waiting for a terminator. */
  bufferedBytes(): number;
}

export function createSip2Framer(maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES): Sip2Framer {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  /** Dropping an over-long line until its CR. */
  let isDropping = false;
  let isAfterCr = false;

  return {
    push(chunk: Buffer): Frame[] {
      const frames: Frame[] = [];
      let start = 0;
      if (isAfterCr && chunk.length > 0 && chunk[0] === LF) start = 1;
      isAfterCr = false;
      while (start < chunk.length) {
        const cr = chunk.indexOf(CR, start);
        const end = cr === -1 ? chunk.length : cr;
        if (isDropping) {
          // The rest of an over-long line: the proxy has forwarded it; nothing to keep.
        } else if (pendingBytes + (end - start) > maxMessageBytes) {
          isDropping = true;
          frames.push({ kind: 'overflow', bufferedBytes: pendingBytes + (end - start) });
          pending = [];
          pendingBytes = 0;
        } else if (end > start) {
          pending.push(chunk.subarray(start, end));
          pendingBytes += end - start;
        }
        if (cr === -1) break;
        if (!isDropping) frames.push({ kind: 'message', line: Buffer.concat(pending, pendingBytes).toString('latin1') });
        pending = [];
        pendingBytes = 0;
        isDropping = false;
        start = cr + 1;
        if (start < chunk.length && chunk[start] === LF) start++;
        else if (start === chunk.length) isAfterCr = true;
      }
      return frames;
    },
    bufferedBytes: () => pendingBytes,
  };
}
