import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import { io as connectSocket, type ManagerOptions, type Socket, type SocketOptions } from 'socket.io-client';
import { createLogger } from '../../cli/logger.js';
import { type RunningPlatform, startPlatform } from '../../platform/index.js';
import { LOOPBACK_SETTINGS, parseConfig } from '../../config/config.js';
import { PERSON_ROLES, type PersonRole, type Role } from '../../dashboard/auth/roles.js';

/** Seeded at start: one user per role, named after it, with this password. */
export const TEST_PASSWORDS: Readonly<Record<PersonRole, string>> = Object.freeze({
  operator: 'operator-password-1',
  maintenance: 'maintenance-password-1',
  manager: 'manager-password-1',
  admin: 'admin-password-for-tests',
});

export interface ApiAnswer<T> {
  status: number;
  /** Parsed JSON; the text for other content types; null for an empty answer. */
  body: T;
  headers: Headers;
}

/** Calls the API as one principal: a signed-in person (cookie + CSRF token) or a bearer token. */
export interface ApiClient {
  get<T = unknown>(path: string): Promise<ApiAnswer<T>>;
  post<T = unknown>(path: string, body?: unknown): Promise<ApiAnswer<T>>;
  patch<T = unknown>(path: string, body?: unknown): Promise<ApiAnswer<T>>;
  delete<T = unknown>(path: string): Promise<ApiAnswer<T>>;
  request<T = unknown>(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<ApiAnswer<T>>;
  /** What a socket.io client or a raw fetch needs: the `Cookie` header, or the bearer token. */
  headers: Record<string, string>;
  /** The session's CSRF token (empty for bearer clients). */
  csrfToken: string;
}

export interface TestPlatform {
  platform: RunningPlatform;
  dataDir: string;
  baseUrl: string;
  mqttUrl: string;
  /** The API as the seeded user of this role (signed in on first use, then reused). */
  api(role: PersonRole): Promise<ApiClient>;
  /** The API with a fresh integration token of this role (named `test <role>` unless named). */
  bearer(role: Role, name?: string): Promise<ApiClient>;
  /** Signs in as this person (created with the role on first use): for tests that need people by name. */
  user(username: string, role: PersonRole): Promise<ApiClient>;
  /** Signs in with a username and password: a new session each time. */
  login(username: string, password: string): Promise<ApiClient>;
  /** The API with no credentials at all. */
  anonymous: ApiClient;
  /** A socket.io client signed in as the seeded user of this role (WebSocket, no reconnection); closed at stop. */
  socket(role: PersonRole, options?: Partial<ManagerOptions & SocketOptions>): Promise<Socket>;
  /** Registers a machine (as an admin does through the API) and returns its MQTT token. */
  provision(id: string): Promise<string>;
  connectKiosk(id: string, token: string, options?: mqtt.IClientOptions): Promise<MqttClient>;
  /** GET as the admin: the reads most tests make. */
  get<T = unknown>(path: string): Promise<{ status: number; body: T }>;
  stop(): Promise<void>;
}

export function apiClient(baseUrl: string, credentials: Record<string, string> = {}, csrfToken = ''): ApiClient {
  const request = async <T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${baseUrl}${path}`, {
      method,
      headers: {
        ...credentials,
        ...(csrfToken && method !== 'GET' ? { 'x-csrf-token': csrfToken } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    const text = await res.text();
    const parsed = text === '' ? null : (res.headers.get('content-type') ?? '').includes('json') ? JSON.parse(text) : text;
    return { status: res.status, body: parsed as T, headers: res.headers };
  };
  return {
    get: (path) => request('GET', path),
    post: (path, body) => request('POST', path, body),
    patch: (path, body) => request('PATCH', path, body),
    delete: (path) => request('DELETE', path),
    request,
    headers: credentials,
    csrfToken,
  };
}

/** Signs in through `POST /api/v1/auth/login`; throws unless it succeeds. */
export async function login(baseUrl: string, username: string, password: string): Promise<ApiClient> {
  const res = await fetch(`${baseUrl}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  if (res.status !== 200) throw new Error(`login as ${username} answered ${res.status}: ${await res.text()}`);
  const cookie = res.headers.getSetCookie().find((c) => c.startsWith('kf_session='));
  if (!cookie) throw new Error('login set no kf_session cookie');
  const { csrfToken } = (await res.json()) as { csrfToken: string };
  return apiClient(baseUrl, { cookie: cookie.split(';')[0]! }, csrfToken);
}

/**
 * The whole platform in this process: embedded broker and dashboard on free ports, a temp data dir,
 * and one user per role (`operator`, `maintenance`, `manager`, `admin`; passwords TEST_PASSWORDS).
 * `now` is the dashboard's clock (sessions expire by it); `logger` replaces the silent one.
 */
export async function startTestPlatform(
  settings: Record<string, string> = {},
  options: { now?: () => number; logger?: Logger } = {},
): Promise<TestPlatform> {
  const dataDir = await mkdtemp(join(tmpdir(), 'kiosk-fleet-test-'));
  const config = parseConfig({
    ...LOOPBACK_SETTINGS,
    DATA_DIR: dataDir,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    FLEET_ADMIN_PASSWORD: TEST_PASSWORDS.admin,
    // The least scrypt cost the configuration allows (16 MiB): tests sign in often.
    PASSWORD_SCRYPT_N: '16384',
    // A takeover's Will and the new boot's online arrive milliseconds apart on loopback; tests
    // that watch a machine go offline need not wait the production hold (3 s).
    LAST_WILL_HOLD_MS: '200',
    ...settings,
  });
  const platform = await startPlatform(config, options.logger ?? createLogger(config.LOG_LEVEL), undefined, options.now);
  for (const role of PERSON_ROLES) {
    if (role === 'admin' || (await platform.auth.users.get(role))) continue;
    await platform.auth.users
      .create({
        username: role,
        displayName: `Test ${role}`,
        role,
        password: TEST_PASSWORDS[role],
        mustChangePassword: false,
      })
      // Nodes started together on one database (PostgreSQL) seed the same people: the first wins.
      .catch((error: unknown) => {
        if ((error as { code?: string }).code !== 'USER_EXISTS') throw error;
      });
  }
  const baseUrl = `http://127.0.0.1:${platform.dashboard.port}`;
  const sessions = new Map<PersonRole, Promise<ApiClient>>();
  const clients: MqttClient[] = [];
  const sockets: Socket[] = [];
  const api = (role: PersonRole) => {
    if (!sessions.has(role)) sessions.set(role, login(baseUrl, role, TEST_PASSWORDS[role]));
    return sessions.get(role)!;
  };
  return {
    platform,
    dataDir,
    baseUrl,
    mqttUrl: platform.mqttUrl,
    api,
    async bearer(role, name = `test ${role}`) {
      const { secret } = await platform.auth.tokens.issue({ name, role, createdBy: 'test' });
      return apiClient(baseUrl, { authorization: `Bearer ${secret}` });
    },
    login: (username, password) => login(baseUrl, username, password),
    async user(username, role) {
      const password = `${username}-password-1`;
      if (!(await platform.auth.users.get(username))) {
        await platform.auth.users.create({ username, displayName: username, role, password, mustChangePassword: false });
      }
      return login(baseUrl, username, password);
    },
    anonymous: apiClient(baseUrl),
    async socket(role, options = {}) {
      const { headers } = await api(role);
      const socket = connectSocket(baseUrl, {
        transports: ['websocket'],
        reconnection: false,
        extraHeaders: headers,
        ...options,
      });
      sockets.push(socket);
      return socket;
    },
    async provision(id) {
      const res = await (
        await api('admin')
      ).post<{ mqtt: { password: string } }>('/api/v1/kiosks', {
        id,
        name: `Test machine ${id}`,
        district: 'Test',
        lat: 39.9,
        lon: 116.4,
      });
      if (res.status !== 201) throw new Error(`provisioning ${id} answered ${res.status}: ${JSON.stringify(res.body)}`);
      return res.body.mqtt.password;
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
      return (await api('admin')).get(path);
    },
    async stop() {
      for (const socket of sockets) socket.close();
      await Promise.all(clients.map((c) => c.endAsync(true)));
      await platform.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
