import type net from 'node:net';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { COLLECTOR, KIOSK_A, startHarness, topics, until, type Harness } from '../harness.js';
import { createRng } from '../../../simulator/random.js';
import { settledMemory } from './gc.js';
import { connect, PINGREQ, probe, publish, subscribe } from './wire.js';

/**
 * A mutational fuzz smoke against the running broker: valid CONNECT / PUBLISH / SUBSCRIBE byte
 * sequences, bit-flipped, truncated, with corrupted length fields and spliced together, sent on
 * raw sockets, some after a valid CONNECT and some not. The broker must not crash or raise an
 * unhandled error, must still serve a valid machine, and its memory must come back near where
 * it started. Seeded: FUZZ_SEED=… reproduces a run (the failing case's number is in the report).
 */
const SEED = Number(process.env.FUZZ_SEED ?? 20261122);
const CASES = Number(process.env.FUZZ_CASES ?? 3_000);
const CONCURRENCY = 24;
/** How long a case's socket stays open for the broker to answer or close it. */
const LINGER_MS = 25;

class Random {
  readonly #next: () => number;
  constructor(seed: number) {
    this.#next = createRng(seed);
  }
  below(n: number): number {
    return Math.floor(this.#next() * n);
  }
  chance(p: number): boolean {
    return this.#next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.below(items.length)]!;
  }
}

let harness: Harness;

function seeds(): Buffer[] {
  const token = harness.tokens[KIOSK_A]!;
  return [
    connect({ clientId: KIOSK_A, username: KIOSK_A, password: token }),
    connect({
      clientId: KIOSK_A,
      username: KIOSK_A,
      password: token,
      isClean: false,
      will: { topic: topics.topic(KIOSK_A, 'status'), retain: true, qos: 1 },
    }),
    connect({ clientId: 'collector-fuzz', username: COLLECTOR, password: 'wrong' }),
    publish(topics.topic(KIOSK_A, 'events'), '{"id":"e1","type":"loan","at":"2026-11-22T00:00:00Z"}', { qos: 1, messageId: 3 }),
    publish(topics.topic(KIOSK_A, 'status'), '{"state":"online"}', { retain: true }),
    publish(topics.topic(KIOSK_A, 'telemetry'), '{"temperatureC":21}'),
    subscribe(topics.topic(KIOSK_A, 'commands'), { messageId: 9 }),
    subscribe(topics.everyKiosk('events'), { messageId: 10 }),
    PINGREQ,
    Buffer.from([0x40, 0x02, 0x00, 0x03]), // PUBACK
    Buffer.from([0xa2, 0x07, 0x00, 0x0b, 0x00, 0x03, 0x61, 0x2f, 0x62]), // UNSUBSCRIBE a/b
    Buffer.from([0xe0, 0x00]), // DISCONNECT
  ];
}

/** One mutation of a byte sequence. */
function mutate(bytes: Buffer, random: Random, pool: readonly Buffer[]): Buffer {
  const out = Buffer.from(bytes);
  switch (random.below(7)) {
    case 0: {
      // bit flips
      for (let i = random.below(8) + 1; i > 0 && out.length > 0; i--) {
        const at = random.below(out.length);
        out[at] = out[at]! ^ (1 << random.below(8));
      }
      return out;
    }
    case 1: // truncation
      return out.subarray(0, random.below(out.length + 1));
    case 2: {
      // Remaining Length corruption: random bytes, often with continuation bits
      const length = random.below(5) + 1;
      const field = Buffer.from(Array.from({ length }, () => (random.chance(0.6) ? 0x80 : 0) | random.below(128)));
      return Buffer.concat([out.subarray(0, 1), field, out.subarray(1 + random.below(4))]);
    }
    case 3: {
      // splice with another packet
      const other = random.pick(pool);
      return Buffer.concat([out.subarray(0, random.below(out.length + 1)), other.subarray(random.below(other.length + 1))]);
    }
    case 4: {
      // random bytes inserted
      const at = random.below(out.length + 1);
      const noise = Buffer.from(Array.from({ length: random.below(16) + 1 }, () => random.below(256)));
      return Buffer.concat([out.subarray(0, at), noise, out.subarray(at)]);
    }
    case 5: // first byte replaced: any type, any flags
      if (out.length > 0) out[0] = random.below(256);
      return out;
    default: {
      // a length field byte set to an extreme
      if (out.length > 1) out[1] = random.pick([0x00, 0x7f, 0x80, 0xff]);
      return out;
    }
  }
}

interface FuzzCase {
  prefix: Buffer;
  body: Buffer;
  splits: number[];
}

function makeCase(random: Random, pool: readonly Buffer[]): FuzzCase {
  const isAuthenticated = random.chance(0.4);
  const packets = Array.from({ length: random.below(4) + 1 }, () => random.pick(pool));
  if (!isAuthenticated && random.chance(0.7)) packets.unshift(pool[random.below(3)]!);
  let body: Buffer = Buffer.concat(packets);
  for (let i = random.below(3) + 1; i > 0; i--) body = mutate(body, random, pool);
  const splits = Array.from({ length: random.below(3) }, () => random.below(body.length + 1)).sort((a, b) => a - b);
  return { prefix: isAuthenticated ? pool[0]! : Buffer.alloc(0), body, splits };
}

async function runCase(fuzzCase: FuzzCase): Promise<void> {
  const socket: net.Socket = await harness.rawSocket();
  socket.resume();
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  if (fuzzCase.prefix.length > 0) socket.write(fuzzCase.prefix);
  let from = 0;
  for (const to of [...fuzzCase.splits, fuzzCase.body.length]) {
    if (socket.destroyed) break;
    socket.write(fuzzCase.body.subarray(from, to));
    from = to;
    await new Promise((resolve) => setImmediate(resolve));
  }
  await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, LINGER_MS))]);
  socket.destroy();
  await closed;
}

const unhandled: unknown[] = [];
const record = (error: unknown) => unhandled.push(error);

beforeAll(async () => {
  // Every case comes from 127.0.0.1 and kiosk-a: the per-address and per-machine rates would
  // otherwise refuse most of them before they reach the parser.
  harness = await startHarness({ wsPort: null, connectTimeoutMs: 500, connectRatePerAddress: 0, publishRatePerKiosk: 0 });
  process.on('uncaughtException', record);
  process.on('unhandledRejection', record);
});
afterAll(async () => {
  process.off('uncaughtException', record);
  process.off('unhandledRejection', record);
  await harness.close();
});

test(`fuzz smoke: ${CASES} mutated packet sequences (seed ${SEED})`, { timeout: 60_000 }, async () => {
  const pool = seeds();
  const random = new Random(SEED);
  const cases = Array.from({ length: CASES }, () => makeCase(random, pool));
  await probe(harness);
  const baseline = settledMemory();

  let next = 0;
  let current = -1;
  const worker = async () => {
    while (next < cases.length) {
      current = next++;
      await runCase(cases[current]!);
    }
  };
  try {
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  } catch (error) {
    throw new Error(`fuzz case ${current} (FUZZ_SEED=${SEED}) failed: ${(error as Error).message}`, { cause: error });
  }

  await until(() => harness.broker.stats().openConnections === 0, 5_000, 'every fuzz connection closed');
  await until(() => harness.broker.stats().connectedClients === 0, 5_000, 'every fuzz session ended');
  await probe(harness);
  const after = settledMemory();

  expect(unhandled).toEqual([]);
  const refused = Object.values(harness.broker.stats().rejectionsByReason).reduce((sum, n) => sum + n, 0);
  expect(refused).toBeGreaterThan(CASES / 2);
  expect(after.heapMiB - baseline.heapMiB).toBeLessThan(10);
  console.info(
    `fuzz: ${CASES} cases, heap ${baseline.heapMiB.toFixed(1)} → ${after.heapMiB.toFixed(1)} MiB, rss ${baseline.rssMiB.toFixed(1)} → ${after.rssMiB.toFixed(1)} MiB`,
    harness.broker.stats().rejectionsByReason,
  );
});
