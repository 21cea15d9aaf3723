/**
 * Runs the load of one scenario from one or several load generator processes (bench/load-generator.ts),
 * the machines split evenly among them, so that the generator is not what limits a fast broker.
 * They connect, then all start together (a GoCommand); their results are merged into one, as if
 * one generator had held every machine.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import {
  type GeneratorMessage,
  type GeneratorResult,
  type GoCommand,
  type MachineCredentials,
  type RunCommand,
  summarizeLatency,
} from './ipc.js';

const GENERATOR = fileURLToPath(new URL('./load-generator.ts', import.meta.url));
const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface GeneratorHooks {
  /** Every generator has connected its machines. */
  connected(machines: number, connectMs: number, pids: number[]): void;
  /** The first generator's measurement window opens (the others' within a few ms). */
  measureStart(): void;
  measureEnd(): void;
}

/** The open-loop rate, and the socket.io client of the live scenario (first generator only), per generator. */
function commandFor(base: RunCommand, index: number, count: number, machines: MachineCredentials[]): RunCommand {
  const load = base.load.kind === 'open' ? { ...base.load, ratePerSecond: base.load.ratePerSecond / count } : base.load;
  const { live, ...rest } = base;
  return { ...rest, load, machines, ...(index === 0 && live ? { live } : {}) };
}

/** Runs `command` from `count` processes; each phase has a time limit (`budgetMs` in all). */
export async function runGenerators(
  command: RunCommand,
  count: number,
  budgetMs: number,
  hooks: GeneratorHooks,
): Promise<GeneratorResult> {
  const groups = Array.from({ length: count }, (_, i) => command.machines.filter((_, m) => m % count === i));
  if (groups.some((g) => g.length === 0)) throw new Error(`${count} generators need at least ${count} machines`);
  const children: ChildProcess[] = groups.map(() =>
    fork(GENERATOR, [], {
      cwd: PROJECT_ROOT,
      execArgv: ['--import', 'tsx'],
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    }),
  );
  // Exited, and its IPC channel read to the end: a large last message can still be in transit at 'exit' or 'close'.
  const exits = children.map((child) =>
    Promise.all([
      new Promise<string>((resolve) => child.once('exit', (code, signal) => resolve(signal ?? String(code)))),
      new Promise<void>((resolve) => (child.connected ? child.once('disconnect', resolve) : resolve())),
    ]).then(([code]) => code),
  );
  const killAll = () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  const killer = setTimeout(killAll, budgetMs);
  try {
    const results = await new Promise<GeneratorResult[]>((resolve, reject) => {
      const connected: { machines: number; connectMs: number }[] = [];
      const results: GeneratorResult[] = [];
      let hasStarted = false;
      let hasEnded = false;
      children.forEach((child, i) => {
        child.once('error', reject);
        child.on('message', (message: GeneratorMessage) => {
          switch (message.type) {
            case 'connected':
              connected.push(message);
              if (connected.length === count) {
                hooks.connected(
                  connected.reduce((sum, c) => sum + c.machines, 0),
                  Math.max(...connected.map((c) => c.connectMs)),
                  children.map((c) => c.pid ?? 0),
                );
                for (const c of children) c.send({ type: 'go' } satisfies GoCommand);
              }
              break;
            case 'measure-start':
              if (!hasStarted) hooks.measureStart();
              hasStarted = true;
              break;
            case 'measure-end':
              if (!hasEnded) hooks.measureEnd();
              hasEnded = true;
              break;
            case 'result':
              results[i] = message.result;
              if (results.filter(Boolean).length === count) resolve(results);
              break;
            case 'failed':
              reject(new Error(`load generator ${i + 1} failed: ${message.message}`));
              break;
          }
        });
        // A large last message has been seen to arrive after 'exit' and 'disconnect': give it a moment.
        // Only if its result never came: another generator may well still be running then.
        void exits[i]!.then((code) =>
          setTimeout(() => {
            if (!results[i]) reject(new Error(`load generator ${i + 1} exited (${code}) before reporting`));
          }, 2_000).unref(),
        );
        child.send(commandFor(command, i, count, groups[i]!));
      });
    });
    await Promise.all(exits);
    return mergeResults(results);
  } finally {
    // A generator stops by itself when its parent goes; end them now so the platform can stop.
    killAll();
    clearTimeout(killer);
  }
}

const sum = (results: GeneratorResult[], value: (r: GeneratorResult) => number) => results.reduce((s, r) => s + value(r), 0);
const max = (results: GeneratorResult[], value: (r: GeneratorResult) => number) => Math.max(...results.map(value));

function concat(arrays: Float64Array[]): Float64Array {
  const all = new Float64Array(arrays.reduce((n, a) => n + a.length, 0));
  let offset = 0;
  for (const a of arrays) {
    all.set(a, offset);
    offset += a.length;
  }
  return all;
}

/** One result for the whole fleet: counts add up, latencies pooled, the window is the longest. */
export function mergeResults(results: GeneratorResult[]): GeneratorResult {
  if (results.length === 1) return results[0]!;
  const latencySamples = concat(results.map((r) => r.latencySamples));
  const totals = Object.fromEntries(
    Object.keys(results[0]!.totals).map((key) => [key, sum(results, (r) => r.totals[key as keyof GeneratorResult['totals']])]),
  ) as GeneratorResult['totals'];
  const live = results[0]!.live;
  return {
    windowSeconds: max(results, (r) => r.windowSeconds),
    windowAckedEvents: sum(results, (r) => r.windowAckedEvents),
    windowSentEvents: sum(results, (r) => r.windowSentEvents),
    windowSentMessages: sum(results, (r) => r.windowSentMessages),
    windowAckMessages: sum(results, (r) => r.windowAckMessages),
    latency: summarizeLatency(latencySamples),
    latencySamples,
    totals,
    skippedEvents: sum(results, (r) => r.skippedEvents),
    maxScheduleLagMs: max(results, (r) => r.maxScheduleLagMs),
    drainMs: max(results, (r) => r.drainMs),
    connectMs: max(results, (r) => r.connectMs),
    cpuCores: sum(results, (r) => r.cpuCores),
    // The busiest generator's loop: the one closest to limiting the load.
    eventLoopUtilization: max(results, (r) => r.eventLoopUtilization),
    ...(live ? { live } : {}),
  };
}
