import express, { type RequestHandler } from 'express';

/**
 * The largest body any route takes: a user, a reservation or an inspection with its checklist is
 * under 4 KB; 256 KB leaves room for a hand-written note without inviting a megabyte of JSON.
 */
export const MAX_BODY_BYTES = 256 * 1024;

/**
 * The deepest nesting any route's schema has is 3 (an inspection's checklist items). 32 is far
 * above that and far below what blows the stack: `JSON.stringify` of 5,000 nested arrays overflowed
 * it and, in a `finish` hook, took the whole process down.
 */
export const MAX_JSON_DEPTH = 32;

const OPEN_ARRAY = 0x5b;
const OPEN_OBJECT = 0x7b;
const CLOSE_ARRAY = 0x5d;
const CLOSE_OBJECT = 0x7d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * Whether JSON text nests arrays and objects deeper than `maxDepth`, read from the raw bytes before
 * it is parsed (brackets inside strings do not count). Linear, no recursion, no allocation.
 */
export function isNestedDeeperThan(bytes: Uint8Array, maxDepth: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i];
    if (inString) {
      if (byte === BACKSLASH) i++;
      else if (byte === QUOTE) inString = false;
    } else if (byte === QUOTE) {
      inString = true;
    } else if (byte === OPEN_ARRAY || byte === OPEN_OBJECT) {
      if (++depth > maxDepth) return true;
    } else if (byte === CLOSE_ARRAY || byte === CLOSE_OBJECT) {
      depth--;
    }
  }
  return false;
}

/** Raised by the body parser; the error handler answers it 400 `JSON_TOO_DEEP`. */
class JsonTooDeepError extends Error {
  readonly type = 'entity.too.deep';
  readonly status = 400;
  constructor() {
    super(`request body nests deeper than ${MAX_JSON_DEPTH} levels`);
  }
}

/** `express.json` bounded in size and nesting depth: what every route's body goes through. */
export function jsonBody(): RequestHandler {
  return express.json({
    limit: MAX_BODY_BYTES,
    verify: (_req, _res, bytes) => {
      if (isNestedDeeperThan(bytes, MAX_JSON_DEPTH)) throw new JsonTooDeepError();
    },
  });
}
