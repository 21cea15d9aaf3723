/** `npm run bench` flags: parsed and checked once. */
import { parseArgs } from 'node:util';

export const SCENARIO_NAMES = [
  'single',
  'batch',
  'rate',
  'mosquitto',
  'mosquitto-batch',
  'wire',
  'wire-cli',
  'live',
  'replay',
] as const;
export type ScenarioName = (typeof SCENARIO_NAMES)[number];

export interface Options {
  machines: number;
  /** Load generator processes the machines are split among. */
  generators: number;
  /** One single-event scenario per window: `--window 1,20,50` sweeps. */
  windows: number[];
  batch: number;
  batchWindow: number;
  rate: number;
  warmupMs: number;
  measureMs: number;
  drainTimeoutMs: number;
  scenarios: ScenarioName[];
  repeat: number;
  synchronous: 'FULL' | 'NORMAL';
  profile: boolean;
  write: boolean;
  /** Exit 1 if a one-event-per-message saturated scenario acks fewer events/s (the CI smoke bench). */
  floor: number;
  liveRate: number;
  cliMessages: number;
  replayYear: number;
}

export function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      machines: { type: 'string', default: '200' },
      generators: { type: 'string', default: '2' },
      window: { type: 'string', default: '20' },
      batch: { type: 'string', default: '50' },
      'batch-window': { type: 'string' },
      rate: { type: 'string', default: '2000' },
      warmup: { type: 'string', default: '3' },
      duration: { type: 'string', default: '15' },
      'drain-timeout': { type: 'string', default: '60' },
      scenarios: { type: 'string', default: SCENARIO_NAMES.join(',') },
      repeat: { type: 'string', default: '1' },
      synchronous: { type: 'string', default: 'FULL' },
      profile: { type: 'boolean', default: false },
      write: { type: 'boolean', default: false },
      floor: { type: 'string', default: '0' },
      'live-rate': { type: 'string', default: '1000' },
      'cli-messages': { type: 'string', default: '200000' },
      'replay-year': { type: 'string', default: '2023' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(
      [
        'npm run bench -- [flags]',
        '  --machines N        connected machines, one MQTT client each (200)',
        '  --generators N      load generator processes the machines are split among (2)',
        '  --window N[,N…]     unacked events per machine, one event per message (20); a list sweeps',
        '  --batch N           events per message in the batch scenario (50)',
        '  --batch-window N    unacked events per machine in the batch scenario (2 × batch)',
        '  --rate N            events/s of the whole fleet in the fixed-rate scenario (2000)',
        '  --warmup S          seconds before measuring (3)',
        '  --duration S        seconds measured (15)',
        '  --drain-timeout S   most seconds to wait for the last acks (60)',
        `  --scenarios LIST    any of ${SCENARIO_NAMES.join(',')} (all)`,
        '  --repeat N          run every scenario N times (1)',
        '  --synchronous MODE  SQLITE_SYNCHRONOUS of the platform: FULL (default) or NORMAL',
        '  --profile           sample the platform CPU during each window; print where the time goes',
        '  --write             replace the results section of docs/benchmarks.md',
        '  --floor N           exit 1 if a one-event-per-message saturated run acks fewer events/s (0: off)',
        '  --live-rate N       events/s of the live-latency scenario (1000)',
        '  --cli-messages N    messages of the mosquitto_pub → mosquitto_sub run (200000)',
        '  --replay-year YYYY  year of the replay scenario (2023), 70 reference machines',
        '',
      ].join('\n'),
    );
    process.exit(0);
  }
  const int = (name: string, raw: string | undefined, min: number, max: number): number => {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max)
      throw new Error(`--${name} must be an integer from ${min} to ${max}, got ${raw}`);
    return n;
  };
  const batch = int('batch', values.batch, 1, 500);
  const scenarios = (values.scenarios ?? '').split(',').filter(Boolean);
  for (const s of scenarios)
    if (!(SCENARIO_NAMES as readonly string[]).includes(s))
      throw new Error(`unknown scenario ${s}; known: ${SCENARIO_NAMES.join(', ')}`);
  if (values.synchronous !== 'FULL' && values.synchronous !== 'NORMAL') throw new Error('--synchronous must be FULL or NORMAL');
  const options: Options = {
    machines: int('machines', values.machines, 1, 5000),
    generators: int('generators', values.generators, 1, 16),
    windows: (values.window ?? '').split(',').map((w) => int('window', w, 1, 10_000)),
    batch,
    batchWindow: int('batch-window', values['batch-window'] ?? String(2 * batch), batch, 50_000),
    rate: int('rate', values.rate, 1, 1_000_000),
    warmupMs: int('warmup', values.warmup, 0, 600) * 1000,
    measureMs: int('duration', values.duration, 1, 600) * 1000,
    drainTimeoutMs: int('drain-timeout', values['drain-timeout'], 1, 600) * 1000,
    scenarios: scenarios as ScenarioName[],
    repeat: int('repeat', values.repeat, 1, 20),
    synchronous: values.synchronous,
    profile: values.profile ?? false,
    write: values.write ?? false,
    floor: int('floor', values.floor, 0, 10_000_000),
    liveRate: int('live-rate', values['live-rate'], 1, 100_000),
    cliMessages: int('cli-messages', values['cli-messages'], 1, 10_000_000),
    replayYear: int('replay-year', values['replay-year'], 2000, 2100),
  };
  // The collector holds at most 100,000 events in memory and sheds (does not ack) beyond that.
  for (const [name, inFlight] of [
    ['window', options.machines * Math.max(...options.windows)],
    ['batch-window', options.machines * options.batchWindow],
  ] as const) {
    if (inFlight > 90_000)
      throw new Error(
        `--machines × --${name} = ${inFlight} events in flight: keep it under 90,000 (the collector sheds beyond 100,000 queued)`,
      );
  }
  return options;
}
