/** Stable codes of the errors every EventStore adapter throws; the underlying error is the `cause`. */
export type StoreErrorCode =
  | 'STORE_OPEN_FAILED'
  | 'STORE_TIME_ZONE_MISMATCH'
  | 'STORE_WRITE_FAILED'
  | 'STORE_READ_FAILED'
  | 'STORE_INVALID_QUERY'
  | 'STORE_CLOSED'
  | 'STORE_CLOSE_FAILED';

export class StoreError extends Error {
  readonly code: StoreErrorCode;

  constructor(code: StoreErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreError';
    this.code = code;
  }
}

/** Page sizes every adapter applies: the default when none is asked, and the most it returns. */
export const EVENT_LIMIT = Object.freeze({ byDefault: 1000, max: 10_000 });
export const TELEMETRY_LIMIT = Object.freeze({ byDefault: 1000, max: 10_000 });
export const DEAD_LETTER_LIMIT = Object.freeze({ byDefault: 100, max: 1000 });
export const LOCAL_DAY = /^\d{4}-\d{2}-\d{2}$/;
/**
 * Dead letters kept: the newest 100,000 (tens of MB at most; payload excerpts are short). They are
 * evidence of what was refused, not history: a flood of refusals must not fill the disk.
 */
export const MAX_DEAD_LETTERS = 100_000;

export function invalidQuery(message: string): never {
  throw new StoreError('STORE_INVALID_QUERY', message);
}

export function resolveLimit(limit: number | undefined, bounds: { byDefault: number; max: number }): number {
  if (limit === undefined) return bounds.byDefault;
  if (!Number.isInteger(limit) || limit < 1) invalidQuery(`limit must be a positive integer, got ${limit}`);
  return Math.min(limit, bounds.max);
}

export function checkInteger(value: number | undefined, name: string): number | undefined {
  if (value !== undefined && !Number.isSafeInteger(value)) invalidQuery(`${name} must be an integer, got ${value}`);
  return value;
}

/** The checks every adapter makes of a count query: its local days and its granularity. */
export function checkCountQuery(query: { fromDay: string; toDay: string; granularity: string }): void {
  for (const [name, day] of [
    ['fromDay', query.fromDay],
    ['toDay', query.toDay],
  ] as const) {
    if (!LOCAL_DAY.test(day)) invalidQuery(`${name} must be a local day YYYY-MM-DD, got ${JSON.stringify(day)}`);
  }
  if (query.granularity !== 'day' && query.granularity !== 'month') invalidQuery('granularity must be day or month');
}
