import { randomUUID } from 'node:crypto';
import type { KioskCommand } from '../../protocol/commands.js';
import type { KioskRegistry } from '../../registry/kiosk-registry.js';
import type { Lifecycle } from '../../registry/kiosk.js';
import type { CommandRecord } from '../domain/command-log.js';
import type { Ingest } from '../ingest.js';
import type { EventRecord } from '../store/event-store.js';
import type { FleetHealth } from './fleet-health.js';
import { HealthError } from './health-error.js';
import { platformRecord } from './platform-record.js';

/** The lifecycle a command puts a machine in (docs/domain.md: operators pause or withdraw a machine). */
const LIFECYCLE_AFTER: Partial<Record<KioskCommand['type'], Lifecycle>> = {
  pause: 'paused',
  resume: 'active',
  withdraw: 'withdrawn',
};

/** A planned window may start at most this long before it is recorded (a form filled in late). */
const MAINTENANCE_BACKDATE_MS = 15 * 60_000;

export interface KioskOperationsOptions {
  ingest: Ingest;
  registry: Pick<KioskRegistry, 'get' | 'setLifecycle'>;
  health: FleetHealth;
  /** Publishes to the machine's commands topic (the collector's MQTT client). */
  publishCommand: (kioskId: string, command: KioskCommand) => void;
  now: () => number;
}

/**
 * What operators do to machines, each audited in the history with who, when and why: commands
 * sent over MQTT (pause, resume, withdraw, reboot; the machine answers with `command_ack`), the
 * lifecycle change a command means, and planned maintenance windows.
 */
export class KioskOperations {
  constructor(private readonly options: KioskOperationsOptions) {}

  /**
   * Records the command (and the lifecycle it implies), then publishes it: the history says it was
   * sent before the machine can answer. The registry's lifecycle follows at once, so a paused
   * machine is paused for the platform even before it acknowledges.
   */
  async send(kioskId: string, input: { type: KioskCommand['type']; reason: string; by: string }): Promise<CommandRecord> {
    const kiosk = this.options.registry.get(kioskId);
    if (!kiosk) throw new HealthError('KIOSK_NOT_FOUND', `no kiosk with id ${kioskId}`);
    const nowMs = this.options.now();
    const command: KioskCommand = {
      id: `cmd-${randomUUID()}`,
      type: input.type,
      reason: input.reason,
      by: input.by,
      ts: new Date(nowMs).toISOString(),
    };
    const records: EventRecord[] = [
      platformRecord(
        kioskId,
        { type: 'command_sent', commandId: command.id, command: command.type, reason: command.reason, by: command.by },
        { atMs: nowMs, nowMs },
      ),
    ];
    const lifecycle = LIFECYCLE_AFTER[input.type];
    if (lifecycle !== undefined && lifecycle !== kiosk.lifecycle) {
      records.push(
        platformRecord(
          kioskId,
          {
            type: 'kiosk_lifecycle_changed',
            lifecycle,
            previous: kiosk.lifecycle,
            by: input.by,
            reason: input.reason,
            commandId: command.id,
          },
          { atMs: nowMs, nowMs },
        ),
      );
    }
    // Recorded before the command is published, and answered from the fold: not spooled.
    await this.options.ingest.recordPlatformEvents(records, { ifStoreDown: 'fail' });
    if (lifecycle !== undefined && lifecycle !== kiosk.lifecycle) await this.options.registry.setLifecycle(kioskId, lifecycle);
    this.options.publishCommand(kioskId, command);
    return this.options.health.commands(kioskId).find((c) => c.commandId === command.id)!;
  }

  /** Plans maintenance of a machine: its time is not expected in service and opens no alert. */
  async planMaintenance(
    kioskId: string,
    input: { fromMs: number; toMs: number; reason: string; by: string },
  ): Promise<{ windowId: string }> {
    if (!this.options.registry.get(kioskId)) throw new HealthError('KIOSK_NOT_FOUND', `no kiosk with id ${kioskId}`);
    const nowMs = this.options.now();
    if (input.fromMs < nowMs - MAINTENANCE_BACKDATE_MS) {
      throw new HealthError(
        'MAINTENANCE_IN_PAST',
        'planned maintenance is recorded before it starts (at most 15 minutes late); past downtime stays counted',
      );
    }
    const windowId = `mw-${randomUUID()}`;
    const body = {
      type: 'maintenance_window' as const,
      windowId,
      from: new Date(input.fromMs).toISOString(),
      to: new Date(input.toMs).toISOString(),
      by: input.by,
      reason: input.reason,
    };
    await this.options.ingest.recordPlatformEvents([platformRecord(kioskId, body, { atMs: nowMs, nowMs })]);
    return { windowId };
  }
}
