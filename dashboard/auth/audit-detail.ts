/** Body fields never copied into the audit log, at any depth. */
const SECRET_FIELD = /password|token|secret/i;

/** What the audit log keeps of a request: enough to see what was done, bounded whatever was sent. */
export const AUDIT_DETAIL_MAX_CHARS = 1000;
const MAX_DEPTH = 4;
const MAX_ENTRIES = 20;
const MAX_STRING_CHARS = 200;

/**
 * A copy of untrusted input cut down to a few levels, entries and characters, with secret fields
 * left out. Walks at most MAX_DEPTH levels, so it never recurses as deep as the input does.
 */
export function boundedCopy(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return value.length > MAX_STRING_CHARS ? `${value.slice(0, MAX_STRING_CHARS)}…` : value;
  if (value === null || typeof value !== 'object') {
    return typeof value === 'number' || typeof value === 'boolean' ? value : value === null ? null : String(value);
  }
  if (depth >= MAX_DEPTH) return Array.isArray(value) ? `[array of ${value.length}]` : '{…}';
  if (Array.isArray(value)) {
    const kept = value.slice(0, MAX_ENTRIES).map((v) => boundedCopy(v, depth + 1));
    return value.length > MAX_ENTRIES ? [...kept, `… ${value.length - MAX_ENTRIES} more`] : kept;
  }
  const copy: Record<string, unknown> = {};
  let count = 0;
  for (const key of Object.keys(value)) {
    if (SECRET_FIELD.test(key)) continue;
    if (++count > MAX_ENTRIES) {
      copy['…'] = 'more keys left out';
      break;
    }
    // defineProperty, not assignment: a `__proto__` key stays a plain key of the copy.
    Object.defineProperty(copy, key, {
      value: boundedCopy((value as Record<string, unknown>)[key], depth + 1),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return copy;
}

/** JSON of the bounded copy, cut to AUDIT_DETAIL_MAX_CHARS. */
export function auditDetail(value: unknown): string {
  const text = JSON.stringify(boundedCopy(value));
  return text.length > AUDIT_DETAIL_MAX_CHARS ? `${text.slice(0, AUDIT_DETAIL_MAX_CHARS - 1)}…` : text;
}
