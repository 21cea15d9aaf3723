import type { MqttClient } from 'mqtt';

/** A machine connected to one node that publishes a loan at a steady pace and notes its acks. */
interface SteadyMachine {
  id: string;
  client: MqttClient;
}

export interface SteadyLoad {
  /** Every event id published (the broker took it: PUBACK), in order. */
  readonly published: readonly string[];
  /** Every event id some ack said was stored (from the store or the spool), once each. */
  readonly acked: ReadonlySet<string>;
  /** Publishing errors (a test fails on them: the broker must take every publish). */
  readonly errors: readonly Error[];
  /** Ids published but not acked (yet). */
  unacked(): string[];
  /** Stops publishing and waits for the publishes in flight. */
  stop(): Promise<void>;
}

/**
 * Machines publishing one loan each every `intervalMs`, as a fleet does all day: the load under
 * which the outage tests stop PostgreSQL or Redis. Each machine must already be subscribed to
 * nothing else on its acks topic; this subscribes to it.
 */
export async function startSteadyLoad(machines: readonly SteadyMachine[], intervalMs: number): Promise<SteadyLoad> {
  const published: string[] = [];
  const acked = new Set<string>();
  const errors: Error[] = [];
  const inFlight = new Set<Promise<unknown>>();
  let sequence = 0;
  // Ids unique across loads on the same machines: a repeated id would be a duplicate, acked as one.
  const run = `r${Date.now().toString(36)}`;
  for (const { id, client } of machines) {
    client.on('message', (topic, payload) => {
      if (topic !== `kiosks/${id}/acks`) return;
      for (const eventId of (JSON.parse(payload.toString()) as { stored: string[] }).stored) acked.add(eventId);
    });
    await client.subscribeAsync(`kiosks/${id}/acks`, { qos: 1 });
  }
  const publishRound = () => {
    sequence += 1;
    for (const { id, client } of machines) {
      const event = { id: `${id}-${run}-${sequence}`, ts: new Date().toISOString(), type: 'loan', itemId: `B${sequence}` };
      const sent = client
        .publishAsync(`kiosks/${id}/events`, JSON.stringify(event), { qos: 1 })
        .then(() => published.push(event.id))
        .catch((error: unknown) => errors.push(error as Error))
        .finally(() => inFlight.delete(sent));
      inFlight.add(sent);
    }
  };
  const timer = setInterval(publishRound, intervalMs);
  return {
    published,
    acked,
    errors,
    unacked: () => published.filter((eventId) => !acked.has(eventId)),
    async stop() {
      clearInterval(timer);
      await Promise.all(inFlight);
    },
  };
}
