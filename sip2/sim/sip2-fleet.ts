import { setTimeout as delay } from 'node:timers/promises';
import type { Logger } from 'pino';
import { createLocalTime } from '../../agent/local-time.js';
import type { KioskEvent } from '../../protocol/events.js';
import type { KioskRecord } from '../../registry/kiosk.js';
import { createActivityState, generateActivity, type ActivityState } from '../../simulator/generate.js';
import type { ActivityProfile } from '../../simulator/profile.js';
import { createRng, deriveSeed } from '../../simulator/random.js';
import { createSimClock } from '../../simulator/sim-clock.js';
import { encodeSip2 } from '../codec/encode.js';
import { connectSip2Client, requestFor, type Sip2Client } from './sip2-client.js';

export interface SimulatedSip2FleetOptions {
  /** Each machine logs in with its kiosk id as SIP2 login user id (93 CN). */
  kiosks: readonly KioskRecord[];
  bridge: { host: string; port: number };
  profile: ActivityProfile;
  clock: { startMs: number; speed: number };
  timeZone: string;
  seed: number;
  /** Real time between two rounds of generation. Default 1 s. */
  tickMs?: number;
  /** Real time between two SC status messages (99): the heartbeat. Default 60 s. */
  statusIntervalMs?: number;
  logger: Logger;
  now?: () => number;
}

export interface SimulatedSip2Fleet {
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** The demo's SIP2 machines: calibrated loans and returns, sent as SIP2 through the bridge. */
export function createSimulatedSip2Fleet(options: SimulatedSip2FleetOptions): SimulatedSip2Fleet {
  const now = options.now ?? Date.now;
  const local = createLocalTime(options.timeZone);
  const log = options.logger.child({ component: 'sip2-simulator' });
  const profile = options.profile.timeZone === options.timeZone ? options.profile : options.profile.inTimeZone(options.timeZone);
  let isRunning = false;
  const loops: Promise<void>[] = [];
  const clients = new Set<Sip2Client>();

  async function runMachine(kiosk: KioskRecord): Promise<void> {
    const rng = createRng(deriveSeed(options.seed, kiosk.id));
    const clock = createSimClock(options.clock, now());
    let lastSimMs = options.clock.startMs;
    let state: ActivityState = createActivityState(`s2${kiosk.id}`);
    let lastStatusMs = Number.NEGATIVE_INFINITY;
    let client: Sip2Client | undefined;
    while (isRunning) {
      try {
        if (client === undefined || client.isClosed()) {
          client = await connectSip2Client(options.bridge.host, options.bridge.port);
          clients.add(client);
          await client.request(
            encodeSip2(
              '93',
              ['0', '0'],
              [
                ['CN', kiosk.id],
                ['CO', 'sim'],
              ],
            ),
          );
          lastStatusMs = Number.NEGATIVE_INFINITY;
        }
        if (now() - lastStatusMs >= (options.statusIntervalMs ?? 60_000)) {
          lastStatusMs = now();
          await client.request(encodeSip2('99', ['0', '080', '2.00'], []));
        }
        const untilMs = Math.floor(clock.now(now()));
        if (untilMs > lastSimMs) {
          const generated = generateActivity(profile, kiosk.id, lastSimMs, untilMs, rng, state);
          state = generated.state;
          lastSimMs = untilMs;
          for (const event of generated.events as KioskEvent[]) {
            const request = requestFor(event, local, 'SIMLIB', 'P-SIMULATED');
            if (request) await client.request(request);
          }
        }
      } catch (err) {
        log.debug({ err: { message: (err as Error).message }, kioskId: kiosk.id }, 'SIP2 link lost; reconnecting');
        client?.close();
        client = undefined;
      }
      await delay(options.tickMs ?? 1_000);
    }
  }

  return {
    async start(): Promise<void> {
      isRunning = true;
      for (const kiosk of options.kiosks) loops.push(runMachine(kiosk));
      log.info({ machines: options.kiosks.length }, 'simulated SIP2 machines starting');
    },
    async stop(): Promise<void> {
      isRunning = false;
      for (const client of clients) client.close();
      await Promise.all(loops.splice(0));
    },
  };
}
