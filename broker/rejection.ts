/**
 * Why the broker refused a connection, a packet or a subscription. Stable codes: they are counted
 * in stats, logged, and may be alerted on, so rename none of them.
 */
export const REJECTION_REASONS = [
  // connection gate, as a connection is accepted
  'too_many_connections',
  'connect_rate_exceeded',
  // PROXY protocol (MQTT_PROXY_PROTOCOL): a connection without a valid header from the balancer
  'proxy_header_invalid',
  // frame guard, before aedes sees a byte
  'packet_too_large',
  'first_packet_not_connect',
  'connect_timeout',
  'malformed_header',
  // CONNECT
  'empty_client_id',
  'malformed_client_id',
  'client_id_mismatch',
  'bad_credentials',
  'will_not_allowed',
  'auth_unavailable',
  // after CONNECT
  'publish_not_allowed',
  'retain_not_allowed',
  'subscribe_not_allowed',
  'publish_rate_exceeded',
  // one connection earned more refusals than its budget (refusal-budget.ts): closed
  'refusal_budget_exceeded',
  // anything else aedes or its packet parser refused (bad flags, reserved types, a second
  // CONNECT, wildcards in a PUBLISH topic…): it closed the connection
  'protocol_violation',
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

/**
 * The error a policy hook hands aedes when it refuses: the refusal was already counted, so the
 * 'clientError' aedes raises for it is not counted again as a protocol violation.
 */
export class PolicyRefusal extends Error {}

/** Remote address of a connection (a net.Socket or the frame guard), if it exposes one. */
export function addressOf(conn: unknown): string | undefined {
  if (typeof conn !== 'object' || conn === null || !('remoteAddress' in conn)) return undefined;
  return typeof conn.remoteAddress === 'string' ? conn.remoteAddress : undefined;
}
