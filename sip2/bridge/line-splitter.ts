/**
 * Cuts the library system's byte stream into pieces to forward, one whole message each, so that a
 * message can be recorded before the machine receives its terminator (and, for a paused machine,
 * a status answer rewritten). The pieces concatenate to exactly the bytes pushed: nothing is
 * added, dropped or reordered. Bytes of an unfinished message wait for their CR; a line past the
 * limit is passed on at once, unread, up to its CR.
 */
export interface ForwardPiece {
  bytes: Buffer;
  /** The message text (latin1) without CR/LF, when the piece is one whole message. */
  line?: string;
  /** Set on the first piece of an over-long line. */
  overflowBytes?: number;
}

const CR = 0x0d;
const LF = 0x0a;

export interface LineSplitter {
  push(chunk: Buffer): ForwardPiece[];
}

export function createLineSplitter(maxMessageBytes: number): LineSplitter {
  let held: Buffer[] = [];
  let heldBytes = 0;
  let isPassingThrough = false;
  let isAfterCr = false;

  return {
    push(chunk: Buffer): ForwardPiece[] {
      const pieces: ForwardPiece[] = [];
      let start = 0;
      // The LF of a CR LF that arrived in the next read: on at once, on its own.
      if (isAfterCr && heldBytes === 0 && !isPassingThrough && chunk[0] === LF) {
        pieces.push({ bytes: chunk.subarray(0, 1) });
        start = 1;
      }
      isAfterCr = false;
      while (start < chunk.length) {
        const cr = chunk.indexOf(CR, start);
        if (isPassingThrough) {
          const end = cr === -1 ? chunk.length : cr + 1;
          pieces.push({ bytes: chunk.subarray(start, end) });
          start = end;
          if (cr === -1) break;
          isPassingThrough = false;
          continue;
        }
        if (cr === -1) {
          const rest = chunk.subarray(start);
          if (heldBytes + rest.length > maxMessageBytes) {
            pieces.push({ bytes: Buffer.concat([...held, rest]), overflowBytes: heldBytes + rest.length });
            held = [];
            heldBytes = 0;
            isPassingThrough = true;
          } else {
            held.push(rest);
            heldBytes += rest.length;
          }
          break;
        }
        let end = cr + 1;
        if (end < chunk.length && chunk[end] === LF) end++;
        else if (end === chunk.length) isAfterCr = true;
        const bytes = heldBytes === 0 ? chunk.subarray(start, end) : Buffer.concat([...held, chunk.subarray(start, end)]);
        held = [];
        heldBytes = 0;
        if (bytes.length > maxMessageBytes + 2) {
          pieces.push({ bytes, overflowBytes: bytes.length });
          start = end;
          continue;
        }
        let text = bytes.toString('latin1');
        if (text.startsWith('\n')) text = text.slice(1);
        pieces.push({ bytes, line: text.replace(/\r\n?$/, '') });
        start = end;
      }
      return pieces;
    },
  };
}
