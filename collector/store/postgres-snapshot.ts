/**
 * A PostgreSQL snapshot (`pg_current_snapshot()` as text, `xmin:xmax:xip,…`) and which
 * transactions it sees: the same rule as the server's `pg_visible_in_snapshot`, so the append
 * feed can judge a notice's transaction without a round trip. Transaction ids are xid8 (64-bit,
 * never wrapping), hence bigint.
 */
export interface PostgresSnapshot {
  /** Every transaction below it had ended when the snapshot was taken. */
  xmin: bigint;
  /** No transaction from it on had begun (had an id). */
  xmax: bigint;
  /** Transactions in progress when it was taken (between xmin and xmax). */
  inProgress: ReadonlySet<bigint>;
  /** As PostgreSQL writes it, to hand back as `$n::pg_snapshot`. */
  text: string;
}

const SNAPSHOT_TEXT = /^(\d+):(\d+):((?:\d+(?:,\d+)*)?)$/;

export function parseSnapshot(text: string): PostgresSnapshot {
  const match = SNAPSHOT_TEXT.exec(text);
  if (match === null) throw new Error(`not a PostgreSQL snapshot: ${JSON.stringify(text)}`);
  const inProgress = match[3] === '' ? [] : match[3]!.split(',').map(BigInt);
  return { xmin: BigInt(match[1]!), xmax: BigInt(match[2]!), inProgress: new Set(inProgress), text };
}

/**
 * Whether the snapshot sees what transaction `xid` committed: it had ended before the snapshot
 * (an aborted one wrote no rows, so counting it as seen is harmless).
 */
export function isVisibleIn(snapshot: PostgresSnapshot, xid: bigint): boolean {
  if (xid < snapshot.xmin) return true;
  if (xid >= snapshot.xmax) return false;
  return !snapshot.inProgress.has(xid);
}
