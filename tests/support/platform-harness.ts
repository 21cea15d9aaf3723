import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { createLogger } from '../../cli/logger.js';
import { type RunningPlatform, startPlatform } from '../../cli/platform.js';
import { LOOPBACK_SETTINGS, parseConfig } from '../../config/config.js';

export interface TestPlatform {
  platform: RunningPlatform;
  dataDir: string;
  baseUrl: string;
  mqttUrl: string;
  adminToken: string;
  /** Registers a machine (as an admin would through the API) and returns its MQTT token. */
  provision(id: string): Promise<string>;
  connectKiosk(id: string, token: string, options?: mqtt.IClientOptions): Promise<MqttClient>;
  get<T = unknown>(path: string): Promise<{ status: number; body: T }>;
  stop(): Promise<void>;
}

/** The whole platform in this process: embedded broker and dashboard on free ports, a temp data dir. */
export async function startTestPlatform(settings: Record<string, string> = {}): Promise<TestPlatform> {
  const dataDir = await mkdtemp(join(tmpdir(), 'kiosk-fleet-test-'));
  const config = parseConfig({
    ...LOOPBACK_SETTINGS,
    DATA_DIR: dataDir,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    ...settings,
  });
  const platform = await startPlatform(config, createLogger(config.LOG_LEVEL));
  const baseUrl = `http://127.0.0.1:${platform.dashboard.port}`;
  const adminToken = platform.foundation.secrets.adminToken;
  const clients: MqttClient[] = [];
  return {
    platform,
    dataDir,
    baseUrl,
    mqttUrl: platform.mqttUrl,
    adminToken,
    async provision(id) {
      const res = await fetch(`${baseUrl}/api/v1/kiosks`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${adminToken}` },
        body: JSON.stringify({ id, name: `Test machine ${id}`, district: 'Test', lat: 39.9, lon: 116.4 }),
      });
      if (res.status !== 201) throw new Error(`provisioning ${id} answered ${res.status}: ${await res.text()}`);
      return ((await res.json()) as { mqtt: { password: string } }).mqtt.password;
    },
    async connectKiosk(id, token, options = {}) {
      const client = await mqtt.connectAsync(platform.mqttUrl, {
        clientId: id,
        username: id,
        password: token,
        reconnectPeriod: 0,
        ...options,
      });
      clients.push(client);
      return client;
    },
    async get(path) {
      const res = await fetch(`${baseUrl}${path}`);
      return { status: res.status, body: await res.json() };
    },
    async stop() {
      await Promise.all(clients.map((c) => c.endAsync(true)));
      await platform.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
