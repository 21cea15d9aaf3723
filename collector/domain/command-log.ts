import type { KioskCommand } from '../../protocol/commands.js';
import type { HealthEntry } from './health-entry.js';

/** A command sent to a machine, who sent it and why, and the machine's answer. */
export interface CommandRecord {
  commandId: string;
  kioskId: string;
  command: KioskCommand['type'];
  reason: string;
  by: string;
  sentAtMs: number;
  /** The machine's `command_ack`; null while it has not answered. */
  ack: { result: 'accepted' | 'rejected' | 'done'; detail: string | null; atMs: number } | null;
}

/** The commands of one machine's history, newest first, each closed by the machine's latest ack. */
export function commandLog(entries: readonly HealthEntry[]): CommandRecord[] {
  const byId = new Map<string, CommandRecord>();
  const acks = new Map<string, CommandRecord['ack']>();
  for (const { event, kioskId, tsMs } of entries) {
    if (event.type === 'command_sent') {
      byId.set(event.commandId, {
        commandId: event.commandId,
        kioskId,
        command: event.command,
        reason: event.reason,
        by: event.by,
        sentAtMs: tsMs,
        ack: null,
      });
    } else if (event.type === 'command_ack') {
      acks.set(event.commandId, { result: event.result, detail: event.detail ?? null, atMs: tsMs });
    }
  }
  for (const [commandId, ack] of acks) {
    const record = byId.get(commandId);
    if (record) record.ack = ack;
  }
  return [...byId.values()].sort((a, b) => b.sentAtMs - a.sentAtMs);
}
