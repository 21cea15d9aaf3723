import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { SimulatedMachine } from '../../simulator/machine.js';
import { startTestPlatform, type TestPlatform } from '../support/platform-harness.js';
import { healthClient } from './health-client.js';

const DAY_MS = 86_400_000;

interface CommandBody {
  id: string;
  type: string;
  by: string;
  reason: string;
  status: string;
  ack: { result: string; at: string } | null;
}
interface EventsBody {
  events: { id: string; type: string; ts: string; by?: string; reason?: string }[];
}

describe('operator commands to a real simulated machine', () => {
  let t: TestPlatform;
  let api: ReturnType<typeof healthClient>;
  let machine: SimulatedMachine;

  beforeAll(async () => {
    // One reference machine replaying the past 20 days at about a simulated day per real second.
    t = await startTestPlatform({
      SIM_KIOSKS: '1',
      SIM_START: new Date(Date.now() - 20 * DAY_MS).toISOString(),
      SIM_SPEED: '100000',
    });
    api = healthClient(t);
    machine = t.platform.simulator!.machines[0]!;
  });
  afterAll(async () => t?.stop());

  const lendingAfter = async (fromIso: string) =>
    (
      await t.get<EventsBody>(
        `/api/v1/events?kiosk=${machine.kioskId}&type=loan,return&from=${encodeURIComponent(fromIso)}&limit=100`,
      )
    ).body.events;

  async function commandAcked(commandId: string): Promise<CommandBody> {
    let command: CommandBody | undefined;
    await expect
      .poll(
        async () => {
          const list = (await t.get<{ commands: CommandBody[] }>(`/api/v1/kiosks/${machine.kioskId}/commands`)).body.commands;
          command = list.find((c) => c.id === commandId);
          return command?.status;
        },
        { timeout: 10_000 },
      )
      .toBe('accepted');
    return command!;
  }

  test('a paused machine acknowledges, stops lending and publishes no loans; resumed, it lends again', async () => {
    await expect.poll(async () => (await lendingAfter(new Date(0).toISOString())).length, { timeout: 15_000 }).toBeGreaterThan(5);

    const zhang = await t.user('op.zhang', 'operator');
    const sent = await api.post<{ command: CommandBody; lifecycle: string }>(
      `/api/v1/kiosks/${machine.kioskId}/commands`,
      { type: 'pause', reason: 'glass panel broken' },
      zhang,
    );
    expect(sent.status).toBe(202);
    expect(sent.body).toMatchObject({ command: { type: 'pause', by: 'op.zhang', status: 'sent' }, lifecycle: 'paused' });
    const paused = await commandAcked(sent.body.command.id);
    expect(machine.isLendingPaused()).toBe(true);
    expect(await api.serviceState(machine.kioskId)).toBe('paused');

    // Let two more simulated days pass, and everything generated reach the store.
    const pausedAtMs = Date.parse(paused.ack!.at);
    await expect.poll(() => machine.generatedUntilMs(), { timeout: 15_000 }).toBeGreaterThan(pausedAtMs + 2 * DAY_MS);
    await expect.poll(() => t.platform.simulator!.pendingCount(), { timeout: 15_000 }).toBe(0);
    expect(await lendingAfter(new Date(pausedAtMs + 1).toISOString())).toEqual([]);

    const resumed = await api.post<{ command: CommandBody; lifecycle: string }>(
      `/api/v1/kiosks/${machine.kioskId}/commands`,
      { type: 'resume', reason: 'panel replaced' },
      zhang,
    );
    expect(resumed.body.lifecycle).toBe('active');
    const ack = await commandAcked(resumed.body.command.id);
    await expect.poll(async () => (await lendingAfter(ack.ack!.at)).length, { timeout: 15_000 }).toBeGreaterThan(0);
  });

  test('every command is audited: who, when, why, and the lifecycle it set', async () => {
    const audit = await t.get<EventsBody>(
      `/api/v1/events?kiosk=${machine.kioskId}&type=command_sent,kiosk_lifecycle_changed&order=asc`,
    );
    expect(audit.body.events.map((e) => [e.type, e.by, e.reason])).toEqual([
      ['command_sent', 'op.zhang', 'glass panel broken'],
      ['kiosk_lifecycle_changed', 'op.zhang', 'glass panel broken'],
      ['command_sent', 'op.zhang', 'panel replaced'],
      ['kiosk_lifecycle_changed', 'op.zhang', 'panel replaced'],
    ]);
  });

  test.each([
    ['an unknown command', { type: 'explode', reason: 'x' }, 400, 'INVALID_REQUEST'],
    ['no reason', { type: 'pause' }, 400, 'INVALID_REQUEST'],
    ['a who in the body (it is the signed-in person)', { type: 'pause', reason: 'x', by: 'op' }, 400, 'INVALID_REQUEST'],
  ])('a command with %s is refused', async (_name, body, statusCode, code) => {
    const res = await api.post<{ error: { code: string } }>(`/api/v1/kiosks/${machine.kioskId}/commands`, body);
    expect([res.status, res.body.error.code]).toEqual([statusCode, code]);
  });

  test('a command to an unknown machine is a 404', async () => {
    const res = await api.post<{ error: { code: string } }>('/api/v1/kiosks/NOPE-1/commands', {
      type: 'reboot',
      reason: 'x',
    });
    expect([res.status, res.body.error.code]).toEqual([404, 'KIOSK_NOT_FOUND']);
  });
});
