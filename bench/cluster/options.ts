/** `npm run bench:cluster` flags: parsed and checked once. */
import { parseArgs } from 'node:util';
import { EXAMPLE_HAPROXY_CONFIG } from './haproxy-config.js';

export interface ClusterOptions {
  /** Node counts to measure throughput and live latency through, in order. */
  nodes: number[];
  /** Machines of the throughput runs (the ingest bench's load generators). */
  machines: number;
  generators: number;
  /** Unacked events per machine in the saturated run. */
  window: number;
  /** Events/s of the whole fleet in the live run. */
  liveRate: number;
  warmupMs: number;
  measureMs: number;
  drainTimeoutMs: number;
  /** Reconnect storm: machines connected (0: no storm), nodes, child processes holding them. */
  stormMachines: number;
  stormNodes: number;
  stormChildren: number;
  /** Each storm machine's time between two events. */
  stormEventIntervalMs: number;
  /** Seconds every node runs with all storm machines connected before one is killed. */
  stormHoldMs: number;
  /** Most seconds to wait for the killed node's machines to be back and acked. */
  stormTimeoutMs: number;
  /** HAProxy configuration whose server lines are rewritten for each run's nodes. */
  haproxyConfig: string;
}

/** `--smoke`: every part, briefly (about 2 minutes), to check the bench works; not a measurement. */
const SMOKE: Record<string, string> = {
  nodes: '1,2',
  machines: '40',
  warmup: '1',
  duration: '3',
  'live-rate': '200',
  'storm-machines': '300',
  'storm-nodes': '2',
  'storm-children': '2',
  'storm-hold': '3',
};

export function parseClusterOptions(argv: string[]): ClusterOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      smoke: { type: 'boolean', default: false },
      nodes: { type: 'string' },
      machines: { type: 'string' },
      generators: { type: 'string' },
      window: { type: 'string' },
      'live-rate': { type: 'string' },
      warmup: { type: 'string' },
      duration: { type: 'string' },
      'drain-timeout': { type: 'string' },
      'storm-machines': { type: 'string' },
      'storm-nodes': { type: 'string' },
      'storm-children': { type: 'string' },
      'storm-interval': { type: 'string' },
      'storm-hold': { type: 'string' },
      'storm-timeout': { type: 'string' },
      'haproxy-config': { type: 'string' },
    },
  });
  const defaults: Record<string, string> = {
    nodes: '1,2,3',
    machines: '200',
    generators: '2',
    window: '20',
    'live-rate': '1000',
    warmup: '3',
    duration: '15',
    'drain-timeout': '60',
    'storm-machines': '10000',
    'storm-nodes': '3',
    'storm-children': '4',
    'storm-interval': '30',
    'storm-hold': '15',
    'storm-timeout': '180',
    'haproxy-config': EXAMPLE_HAPROXY_CONFIG,
    ...(values.smoke ? SMOKE : {}),
  };
  const { smoke: _smoke, ...flags } = values;
  const given: Record<string, string | undefined> = flags;
  const get = (name: string): string => given[name] ?? defaults[name]!;
  const int = (name: string, min: number): number => {
    const n = Number(get(name));
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer ≥ ${min}, not ${get(name)}`);
    return n;
  };
  const seconds = (name: string): number => {
    const n = Number(get(name));
    if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number of seconds, not ${get(name)}`);
    return Math.round(n * 1000);
  };
  // `--nodes none`: the reconnect storm alone.
  const nodes = get('nodes') === 'none' ? [] : get('nodes').split(',').map(Number);
  if (!nodes.every((n) => Number.isInteger(n) && n >= 1 && n <= 9))
    throw new Error(`--nodes must list node counts 1–9, not ${get('nodes')}`);
  const options: ClusterOptions = {
    nodes,
    machines: int('machines', 1),
    generators: int('generators', 1),
    window: int('window', 1),
    liveRate: int('live-rate', 1),
    warmupMs: seconds('warmup'),
    measureMs: seconds('duration'),
    drainTimeoutMs: seconds('drain-timeout'),
    stormMachines: int('storm-machines', 0),
    stormNodes: int('storm-nodes', 2),
    stormChildren: int('storm-children', 1),
    stormEventIntervalMs: seconds('storm-interval'),
    stormHoldMs: seconds('storm-hold'),
    stormTimeoutMs: seconds('storm-timeout'),
    haproxyConfig: get('haproxy-config'),
  };
  if (options.machines < options.generators) throw new Error('--machines must be at least --generators');
  return options;
}
