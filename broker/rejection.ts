/**
 * Why the broker refused a connection, a packet or a subscription. Stable codes: they are counted
 * in stats, logged, and may be alerted on, so rename none of them.
 */
export const REJECTION_REASONS = [
  // frame guard, before aedes sees a byte
  'packet_too_large',
  'first_packet_not_connect',
  'connect_timeout',
  'malformed_header',
  // CONNECT
  'empty_client_id',
  'client_id_mismatch',
  'bad_credentials',
  'will_not_allowed',
  'auth_unavailable',
  // after CONNECT
  'publish_not_allowed',
  'retain_not_allowed',
  'subscribe_not_allowed',
] as const;
export type RejectionReason = (typeof REJECTION_REASONS)[number];

export interface Rejection {
  reason: RejectionReason;
  clientId?: string;
  address?: string;
  topic?: string;
  /** One human sentence saying what was refused and why. */
  detail: string;
}

export type RejectionListener = (rejection: Rejection) => void;

/** Remote address of a connection (a net.Socket or the frame guard), if it exposes one. */
export function addressOf(conn: unknown): string | undefined {
  if (typeof conn !== 'object' || conn === null || !('remoteAddress' in conn)) return undefined;
  return typeof conn.remoteAddress === 'string' ? conn.remoteAddress : undefined;
}
