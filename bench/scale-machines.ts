/**
 * A child process of `npm run bench:scale` (bench/scale.ts) holding a share of the fleet: one real
 * MQTT.js client per machine, authenticated with its own token, publishing telemetry QoS 0 every
 * `telemetryMs` (each machine at its own random phase), reconnecting by itself after the broker
 * goes away (`reconnectPeriod`, spread per machine so a restart does not bring them all at once).
 * Reports its counts to the parent every 500 ms; ends when told to, or when the parent goes.
 */
import mqtt, { type MqttClient } from 'mqtt';
import type { MachineCredentials } from './ipc.js';

export interface ScaleCommand {
  type: 'start';
  mqttUrl: string;
  topicRoot: string;
  machines: MachineCredentials[];
  telemetryMs: number;
  connectConcurrency: number;
}

export interface ScaleReport {
  type: 'report';
  /** Clients connected now. */
  connected: number;
  /** Clients that have connected at least once. */
  everConnected: number;
  /** Successful (re)connections after the first one. */
  reconnections: number;
  /** Connection attempts refused by the broker (CONNACK with an error code: bad credentials…). */
  refused: number;
  telemetrySent: number;
}

const clients: MqttClient[] = [];
const counts: Omit<ScaleReport, 'type'> = { connected: 0, everConnected: 0, reconnections: 0, refused: 0, telemetrySent: 0 };
const report = () => process.send?.({ type: 'report', ...counts } satisfies ScaleReport);

async function start(command: ScaleCommand): Promise<void> {
  const pending = [...command.machines];
  const connectOne = (m: MachineCredentials) =>
    new Promise<void>((resolve) => {
      const client = mqtt.connect(command.mqttUrl, {
        clientId: m.id,
        username: m.id,
        password: m.token,
        protocolVersion: 4,
        clean: true,
        keepalive: 60,
        // 1–3 s between attempts, different for every machine.
        reconnectPeriod: 1_000 + Math.floor(Math.random() * 2_000),
        connectTimeout: 30_000,
      });
      clients.push(client);
      let hasConnected = false;
      let isUp = false;
      const topic = `${command.topicRoot}/${m.id}/telemetry`;
      client.on('connect', () => {
        if (!isUp) counts.connected += 1;
        isUp = true;
        if (hasConnected) counts.reconnections += 1;
        else {
          hasConnected = true;
          counts.everConnected += 1;
          resolve();
          // Telemetry at a random phase, then every telemetryMs; only while connected.
          setTimeout(() => {
            const send = () => {
              if (!client.connected) return;
              client.publish(
                topic,
                JSON.stringify({
                  ts: new Date().toISOString(),
                  temperatureC: 20 + Math.round(Math.random() * 100) / 10,
                  binFillPercent: Math.floor(Math.random() * 100),
                  signalDbm: -60 - Math.floor(Math.random() * 30),
                }),
                { qos: 0 },
              );
              counts.telemetrySent += 1;
            };
            send();
            setInterval(send, command.telemetryMs).unref();
          }, Math.random() * command.telemetryMs).unref();
        }
      });
      client.on('close', () => {
        if (isUp) counts.connected -= 1;
        isUp = false;
      });
      client.on('error', (error) => {
        // A CONNACK refusal carries a numeric return code; a TCP error (ECONNREFUSED while the
        // broker is down) a string one, and mqtt.js simply tries again.
        if (typeof (error as { code?: unknown }).code !== 'number') return;
        counts.refused += 1;
        if (!hasConnected) resolve();
      });
    });
  await Promise.all(
    Array.from({ length: Math.max(1, command.connectConcurrency) }, async () => {
      for (let next = pending.shift(); next; next = pending.shift()) await connectOne(next);
    }),
  );
}

let reporter: NodeJS.Timeout | null = null;
process.on('message', (message: ScaleCommand | { type: 'stop' }) => {
  if (message.type === 'start') {
    reporter = setInterval(report, 500);
    void start(message);
  } else if (message.type === 'stop') {
    if (reporter) clearInterval(reporter);
    for (const c of clients) c.end(true);
    report();
    setTimeout(() => process.exit(0), 200);
  }
});
process.on('disconnect', () => process.exit(3));
