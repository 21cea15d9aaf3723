import { randomBytes, X509Certificate } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { checkServerIdentity, type PeerCertificate, rootCertificates } from 'node:tls';
import { dirname } from 'node:path';
import type { Logger } from 'pino';
import { z } from 'zod';
import { createCalendar } from '../time/calendar.js';
import { type Destination, destinationSchema } from '../protocol/reservation-destination.js';
import { ensurePrivateDir, PRIVATE_FILE_MODE } from '../config/private-files.js';
import type { SimulatedMachine } from './machine.js';
import { DEFAULT_HOUR_WEIGHTS } from './profile.js';
import { createRng, randomInt, type Rng, samplePoisson } from './random.js';

/**
 * The online lending platform and its couriers, simulated. Readers reserve books online through
 * the day; the platform creates each reservation through the REST API (`POST /api/v1/reservations`),
 * and a courier delivers it, mostly well within 72 hours, sometimes late: to a machine, which
 * reports `reservation_delivered` over MQTT like a real one, or to the reader's door, which the
 * courier reports through the API. Readers pick up most books delivered to machines; a few
 * reservations are cancelled. The plan is kept in a JSON file, so a restart neither loses nor
 * repeats a reservation.
 */

const HOUR_MS = 3_600_000;

const tunablesSchema = z.strictObject({
  /** Reservations per simulated machine per day, fleet-wide demand spread over the day's hours. */
  reservationsPerMachinePerDay: z.number().min(0).default(0.3),
  homeDeliveryRatio: z.number().min(0).max(1).default(0.3),
  /** Share of reservations the couriers deliver after the window. */
  lateRatio: z.number().min(0).max(1).default(0.04),
  cancelRatio: z.number().min(0).max(1).default(0.02),
  pickUpRatio: z.number().min(0).max(1).default(0.9),
  windowHours: z.number().positive().default(72),
  tickMs: z.number().int().positive().default(1_000),
  /** Most API calls per tick: a replay at high speed is spread over ticks. */
  maxCallsPerTick: z.number().int().positive().default(50),
  seed: z.number().int().optional(),
});

export interface LendingPlatformOptions extends Partial<z.input<typeof tunablesSchema>> {
  /** The dashboard's base URL, e.g. `http://127.0.0.1:3000`, or `https://…` when it speaks HTTPS. */
  apiUrl: string;
  /**
   * For an `https://` apiUrl: PEM certificates to trust besides the system's roots, the dashboard's
   * own certificate first, then its chain (TLS_CERT_FILE, TLS_CA_FILE). A server presenting exactly
   * that first certificate is the dashboard, whatever host name apiUrl uses: the platform calls
   * itself on loopback, and a public certificate does not name 127.0.0.1.
   */
  trustedCertificates?: string;
  /** The bearer credential for the API, asked for on each call: an integration token of role `lending`. */
  credential: () => string;
  machines: readonly SimulatedMachine[];
  /** The simulated now, epoch ms. */
  simNow: () => number;
  /** Where simulated time started: reservations are created from here on. */
  startMs: number;
  timeZone: string;
  /** The plan's file. */
  stateFile: string;
  logger: Logger;
}

export interface LendingPlatform {
  start(): void;
  stop(): Promise<void>;
  /** Reservations not yet finished with (to create, deliver, pick up or cancel). */
  pendingCount(): number;
}

const plannedSchema = z.object({
  reservationId: z.string(),
  destination: destinationSchema,
  createdAtMs: z.number(),
  deliverAtMs: z.number(),
  pickUpAtMs: z.number().nullable(),
  cancelAtMs: z.number().nullable(),
  step: z.enum(['create', 'deliver', 'pick_up', 'cancel']),
});
type PlannedReservation = z.infer<typeof plannedSchema>;
const stateSchema = z.object({ generatedUntilMs: z.number(), reservations: z.array(plannedSchema) });

/** Hours from creation to delivery: most within two days, a tail into the window's last fifth, a few late. */
function deliveryDelayMs(rng: Rng, windowHours: number, lateRatio: number): number {
  if (rng() < lateRatio) return (windowHours + 0.1 + rng() * 24) * HOUR_MS;
  const hours = 6 + (windowHours - 8) * rng() ** 2;
  return hours * HOUR_MS;
}

interface ApiAnswer {
  status: number;
  text: string;
}

/** The certificates an HTTPS client trusts, and the dashboard's own certificate as its identity. */
function trustOf(pem: string): Pick<https.AgentOptions, 'ca' | 'checkServerIdentity'> {
  const own = new X509Certificate(pem).raw;
  return {
    ca: [...rootCertificates, pem],
    // The chain is still verified against `ca`; only the host-name check accepts our own certificate.
    checkServerIdentity: (host: string, cert: PeerCertificate) =>
      cert.raw.equals(own) ? undefined : checkServerIdentity(host, cert),
  };
}

/**
 * POSTs JSON over http or https with node:http(s): Node 20's fetch cannot be given a CA for one
 * client (only undici's own Agent can, which is not a dependency), and NODE_EXTRA_CA_CERTS would
 * trust it process-wide.
 */
function createApiPoster(apiUrl: string, trustedCertificates: string | undefined) {
  const isHttps = new URL(apiUrl).protocol === 'https:';
  const agent = isHttps
    ? new https.Agent({ keepAlive: true, ...(trustedCertificates === undefined ? {} : trustOf(trustedCertificates)) })
    : new http.Agent({ keepAlive: true });
  const send = isHttps ? https.request : http.request;
  return {
    post(url: string, headers: Record<string, string>, body: string): Promise<ApiAnswer> {
      return new Promise((resolve, reject) => {
        const request = send(
          url,
          { method: 'POST', agent, headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) }, timeout: 30_000 },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (chunk: Buffer) => chunks.push(chunk));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
            res.on('error', reject);
          },
        );
        request.on('timeout', () => request.destroy(new Error(`no answer from ${url} within 30 s`)));
        request.on('error', reject);
        request.end(body);
      });
    },
    close: () => agent.destroy(),
  };
}

const dueAt = (r: PlannedReservation): number =>
  r.step === 'create'
    ? r.createdAtMs
    : r.step === 'cancel'
      ? r.cancelAtMs!
      : r.step === 'deliver'
        ? r.deliverAtMs
        : r.pickUpAtMs!;

export function createLendingPlatform(options: LendingPlatformOptions): LendingPlatform {
  const { apiUrl, trustedCertificates, credential, machines, simNow, startMs, timeZone, stateFile, logger, ...rest } = options;
  const t = tunablesSchema.parse(rest);
  const log = logger.child({ component: 'lending-platform' });
  const calendar = createCalendar(timeZone);
  const api = createApiPoster(apiUrl, trustedCertificates);
  const rng = createRng(t.seed ?? randomInt(Math.random, 0, 2 ** 31));
  const hourSum = DEFAULT_HOUR_WEIGHTS.reduce((a, b) => a + b, 0);
  const machinesById = new Map(machines.map((m) => [m.kioskId, m]));
  const saved = existsSync(stateFile) ? stateSchema.safeParse(JSON.parse(readFileSync(stateFile, 'utf8'))) : undefined;
  if (saved && !saved.success) log.warn({ file: stateFile }, 'lending platform plan unreadable; starting afresh');
  let generatedUntilMs = Math.max(startMs, saved?.success ? saved.data.generatedUntilMs : startMs);
  let planned: PlannedReservation[] = saved?.success ? saved.data.reservations : [];
  let timer: NodeJS.Timeout | undefined;
  let ticking: Promise<void> | undefined;

  function save(): void {
    ensurePrivateDir(dirname(stateFile));
    writeFileSync(`${stateFile}.tmp`, JSON.stringify({ generatedUntilMs, reservations: planned }), { mode: PRIVATE_FILE_MODE });
    renameSync(`${stateFile}.tmp`, stateFile);
  }

  function plan(createdAtMs: number): PlannedReservation {
    const isHome = machines.length === 0 || rng() < t.homeDeliveryRatio;
    const destination: Destination = isHome
      ? { kind: 'home' }
      : { kind: 'kiosk', kioskId: machines[randomInt(rng, 0, machines.length)]!.kioskId };
    const deliverAtMs = createdAtMs + deliveryDelayMs(rng, t.windowHours, t.lateRatio);
    const isCancelled = rng() < t.cancelRatio;
    const isPickedUp = !isHome && rng() < t.pickUpRatio;
    const day = calendar.dayOf(createdAtMs).replaceAll('-', '');
    return {
      reservationId: `WEB-${day}-${randomBytes(4).toString('hex')}`,
      destination,
      createdAtMs,
      deliverAtMs: Math.round(deliverAtMs),
      pickUpAtMs: isPickedUp ? Math.round(deliverAtMs + (1 + rng() * 47) * HOUR_MS) : null,
      cancelAtMs: isCancelled ? Math.round(createdAtMs + (1 + rng() * 23) * HOUR_MS) : null,
      step: 'create',
    };
  }

  /** Readers reserve through the day, more at the hours they use the machines. */
  function generateUpTo(untilMs: number): void {
    const perHour = (t.reservationsPerMachinePerDay * Math.max(1, machines.length)) / hourSum;
    while (generatedUntilMs < untilMs) {
      const offsetMs = calendar.offsetMinutesAt(generatedUntilMs) * 60_000;
      const hourEndMs = (Math.floor((generatedUntilMs + offsetMs) / HOUR_MS) + 1) * HOUR_MS - offsetMs;
      const sliceEndMs = Math.min(hourEndMs, untilMs);
      const localHour = new Date(generatedUntilMs + offsetMs).getUTCHours();
      const mean = perHour * DEFAULT_HOUR_WEIGHTS[localHour]! * ((sliceEndMs - generatedUntilMs) / HOUR_MS);
      for (let n = samplePoisson(rng, mean); n > 0; n--) {
        planned.push(plan(generatedUntilMs + 1 + Math.floor(rng() * (sliceEndMs - generatedUntilMs))));
      }
      generatedUntilMs = sliceEndMs;
    }
  }

  function call(path: string, body: unknown): Promise<ApiAnswer> {
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${credential()}` };
    return api.post(`${apiUrl}/api/v1/reservations${path}`, headers, JSON.stringify(body));
  }

  /** One step of a reservation; returns the reservation's next form, null when done, or 'retry'. */
  async function advance(r: PlannedReservation): Promise<PlannedReservation | null | 'retry'> {
    const iso = (ms: number) => new Date(ms).toISOString();
    const id = encodeURIComponent(r.reservationId);
    let answer: ApiAnswer;
    switch (r.step) {
      case 'create':
        answer = await call('', { reservationId: r.reservationId, createdAt: iso(r.createdAtMs), destination: r.destination });
        if (answer.status < 300)
          return { ...r, step: r.cancelAtMs !== null && r.cancelAtMs < r.deliverAtMs ? 'cancel' : 'deliver' };
        break;
      case 'cancel':
        answer = await call(`/${id}/cancel`, { cancelledAt: iso(r.cancelAtMs!), reason: 'cancelled by the reader' });
        if (answer.status < 300) return null;
        break;
      case 'deliver': {
        const machine = r.destination.kind === 'kiosk' ? machinesById.get(r.destination.kioskId) : undefined;
        if (machine) machine.deliverReservation(r.reservationId, r.deliverAtMs);
        else {
          answer = await call(`/${id}/delivered`, { deliveredAt: iso(r.deliverAtMs) });
          if (answer.status >= 300) break;
        }
        return r.pickUpAtMs === null ? null : { ...r, step: 'pick_up' };
      }
      case 'pick_up':
        answer = await call(`/${id}/picked-up`, { pickedUpAt: iso(r.pickUpAtMs!) });
        if (answer.status < 300) return null;
        // The machine's delivery may still be in its outbox: try again later, for a while.
        if (answer.status === 409 && simNow() - r.pickUpAtMs! < 7 * 24 * HOUR_MS) return 'retry';
        break;
    }
    if (answer.status >= 500) return 'retry';
    log.warn(
      { reservationId: r.reservationId, step: r.step, status: answer.status, answer: answer.text.slice(0, 300) },
      'lending platform call refused; reservation dropped',
    );
    return null;
  }

  async function tick(): Promise<void> {
    const nowMs = simNow();
    if (Number.isFinite(nowMs)) generateUpTo(nowMs);
    const due = planned
      .filter((r) => dueAt(r) <= nowMs)
      .sort((a, b) => dueAt(a) - dueAt(b))
      .slice(0, t.maxCallsPerTick);
    const next = new Map<string, PlannedReservation | null>();
    for (const r of due) {
      try {
        const result = await advance(r);
        if (result !== 'retry') next.set(r.reservationId, result);
      } catch (err) {
        log.debug({ err, reservationId: r.reservationId }, 'lending platform call failed; retried');
        break; // the API is unreachable: the rest waits for the next tick
      }
    }
    planned = planned.flatMap((r) => {
      if (!next.has(r.reservationId)) return [r];
      const after = next.get(r.reservationId);
      return after ? [after] : [];
    });
    save();
  }

  return Object.freeze({
    start(): void {
      if (timer) return;
      log.info({ machines: machines.length, pending: planned.length }, 'lending platform starting');
      timer = setInterval(() => {
        if (ticking) return;
        ticking = tick()
          .catch((err: unknown) => log.error({ err }, 'lending platform tick failed'))
          .finally(() => (ticking = undefined));
      }, t.tickMs);
    },
    async stop(): Promise<void> {
      clearInterval(timer);
      timer = undefined;
      await ticking;
      api.close();
      save();
    },
    pendingCount: () => planned.length,
  });
}
