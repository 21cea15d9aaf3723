import type { EventRecord } from './event-store.js';

/**
 * Whether two records are the same event: same machine, type, instant and body. Bodies are
 * compared canonically (keys sorted, the time as an instant), never as the text a machine sent:
 * `{"a":1,"b":2}` and `{"b":2,"a":1}`, or `…+08:00` and the same instant in `Z`, are one event.
 * When the collector received it does not count: a redelivery arrives later.
 */
export function isSameEvent(a: EventRecord, b: EventRecord): boolean {
  return (
    a.id === b.id && a.kioskId === b.kioskId && a.type === b.type && a.tsMs === b.tsMs && canonicalBody(a) === canonicalBody(b)
  );
}

/** The body as canonical JSON, its `ts` left out (the record's instant stands for it). */
function canonicalBody(record: EventRecord): string {
  const { ts: _ts, ...rest } = record.data;
  return canonicalJson(rest);
}

/** JSON with object keys sorted at every level. Bodies are validated and shallow: no cycles. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value)
      .sort()
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
