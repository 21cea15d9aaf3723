import { KIOSK_EVENT_TYPES, kioskEventSchema } from '../../protocol/events.js';

/**
 * Whether an event came from the machine itself. The platform stores events about machines too:
 * its own (escalations, commands sent, reservation notices: types a machine never sends) and some
 * of a machine's types entered by people (an inspection recorded by hand, a delivery reported by
 * a courier), which carry who entered them (`by`). What the machine published is exactly its
 * protocol schema, strict: no `by`, nothing else added.
 */
export function isMachineOriginated(record: { type: string; data: Record<string, unknown> }): boolean {
  if (!(KIOSK_EVENT_TYPES as readonly string[]).includes(record.type)) return false;
  const parsed = kioskEventSchema.safeParse(record.data);
  return parsed.success && parsed.data.type === record.type;
}

/** Machine types the platform never enters by hand: one of these in the counts is the machine's own. */
export const MACHINE_ONLY_TYPES: readonly string[] = ['loan', 'return', 'fault', 'fault_cleared', 'command_ack'];

/** Machine types people also enter (inspections by hand, deliveries by couriers): the events must be read. */
export const SHARED_TYPES: readonly string[] = KIOSK_EVENT_TYPES.filter((t) => !MACHINE_ONLY_TYPES.includes(t));
