/** A read of rows ordered by time, in windows of time found from where the data is. */
export interface WindowedRead<T> {
  order: 'asc' | 'desc';
  startMs: number;
  stopMs: number;
  limit: number;
  /** The time (ms) of the first (asc) or last (desc) matching point in a range, if any. */
  findEdge(range: { startMs: number; stopMs: number }): Promise<number | undefined>;
  /** At most `limit` matching rows of a range, in order. */
  readWindow(range: { startMs: number; stopMs: number }, limit: number): Promise<T[]>;
}

/** First window of a read: an hour holds a few hundred events of a 70-machine fleet. */
const FIRST_WINDOW_MS = 3_600_000;
const WINDOW_GROWTH = 4;

/**
 * Reads in time windows from where the data is, instead of pivoting and sorting a whole range in
 * InfluxDB: find the next matching point (`first()`/`last()`, pushed down to storage), read a
 * window from it, and widen the next window until `limit` rows are found or the range ends. A page
 * of a dense history costs two small queries, however long the history; gaps cost one each.
 */
export async function readInWindows<T>(read: WindowedRead<T>): Promise<T[]> {
  const rows: T[] = [];
  let { startMs, stopMs } = read;
  const isAscending = read.order === 'asc';
  for (let widthMs = FIRST_WINDOW_MS; rows.length < read.limit && startMs < stopMs; widthMs *= WINDOW_GROWTH) {
    const edgeMs = await read.findEdge({ startMs, stopMs });
    if (edgeMs === undefined || edgeMs < startMs || edgeMs >= stopMs) break;
    const window = isAscending
      ? { startMs: edgeMs, stopMs: Math.min(stopMs, edgeMs + widthMs) }
      : { startMs: Math.max(startMs, edgeMs + 1 - widthMs), stopMs: edgeMs + 1 };
    rows.push(...(await read.readWindow(window, read.limit - rows.length)));
    if (isAscending) startMs = window.stopMs;
    else stopMs = window.startMs;
  }
  return rows;
}
