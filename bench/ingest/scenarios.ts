/** The scenarios a run of `npm run bench` measures, from its options. */
import type { LoadShape } from '../ipc.js';
import type { Options, ScenarioName } from './options.js';

export interface Scenario {
  name: ScenarioName;
  title: string;
  load: LoadShape;
  /** The MQTT broker: the platform's embedded aedes, or Debian's Mosquitto (`MQTT_URL`). */
  broker: 'embedded' | 'mosquitto';
  /** Who answers the events: the platform's collector, or a bare echo subscriber (the wire limit). */
  collector: 'platform' | 'echo';
  /** Connect a socket.io client to the dashboard and measure publish → `events` push. */
  live: boolean;
}

export function scenariosOf(options: Options): Scenario[] {
  const aedes = { broker: 'embedded', collector: 'platform', live: false } as const;
  const mosquitto = { broker: 'mosquitto', collector: 'platform', live: false } as const;
  const singles = (prefix: string) =>
    options.windows.map((window) => ({
      title: `${prefix}one event per message, saturated${options.windows.length > 1 ? `, window ${window}` : ''}`,
      load: { kind: 'closed', eventsPerMessage: 1, window } as const,
    }));
  const batch = { kind: 'closed', eventsPerMessage: options.batch, window: options.batchWindow } as const;
  const all: Record<Exclude<ScenarioName, 'wire-cli' | 'replay'>, Scenario[]> = {
    single: singles('').map((s) => ({ name: 'single', ...aedes, ...s })),
    batch: [{ name: 'batch', ...aedes, title: `${options.batch} events per message, saturated`, load: batch }],
    rate: [
      {
        name: 'rate',
        ...aedes,
        title: `one event per message, fixed ${options.rate.toLocaleString('en')} ev/s`,
        load: { kind: 'open', eventsPerMessage: 1, ratePerSecond: options.rate, maxUnackedPerMachine: 1000 },
      },
    ],
    mosquitto: singles('Mosquitto: ').map((s) => ({ name: 'mosquitto', ...mosquitto, ...s })),
    'mosquitto-batch': [
      { name: 'mosquitto-batch', ...mosquitto, title: `Mosquitto: ${options.batch} events per message, saturated`, load: batch },
    ],
    wire: singles('wire limit (Mosquitto + echo): ').map((s) => ({
      name: 'wire',
      broker: 'mosquitto',
      collector: 'echo',
      live: false,
      ...s,
    })),
    live: [
      {
        name: 'live',
        broker: 'embedded',
        collector: 'platform',
        live: true,
        title: `live: one event per message, fixed ${options.liveRate.toLocaleString('en')} ev/s, socket.io client`,
        load: { kind: 'open', eventsPerMessage: 1, ratePerSecond: options.liveRate, maxUnackedPerMachine: 1000 },
      },
    ],
  };
  return options.scenarios.flatMap((name) => (name === 'wire-cli' || name === 'replay' ? [] : all[name]));
}
