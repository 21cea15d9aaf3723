import { afterAll, beforeAll, expect, test } from 'vitest';
import { PERSON_ROLES, type Role } from '../../../dashboard/auth/roles.js';
import { createRng } from '../../../simulator/random.js';
import {
  HOSTILE_QUERY_VALUES,
  HOSTILE_SEGMENTS,
  HOSTILE_VALUES,
  type HostilePlatform,
  LOGOUT,
  PASSWORD,
  probe,
  QUERY_KEYS,
  type RouteCase,
  sendRaw,
  sessionOf,
  startHostilePlatform,
} from './http-hostile.js';

/**
 * A seeded mutational fuzz of the HTTP API: each case takes a route's valid-looking template body
 * and query, mutates them (fields replaced, dropped, duplicated, nested, retyped; bytes flipped,
 * cut or spliced; queries repeated and turned to arrays) and sends it as a random role. Nothing may
 * answer 500, and the platform must still answer after each case. FUZZ_SEED=… reproduces a run
 * (the failing case's number is in the report); FUZZ_CASES=… runs more.
 */
const SEED = Number(process.env.FUZZ_SEED ?? 20261123);
const CASES = Number(process.env.FUZZ_CASES ?? 2_000);
const CONCURRENCY = 8;

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

interface FuzzCase {
  route: RouteCase;
  role: Role;
  path: string;
  body: string | Uint8Array<ArrayBuffer> | undefined;
}

const textOf = (value: unknown) => (typeof value === 'string' ? value : (JSON.stringify(value) ?? ''));

function mutateValue(value: unknown, random: Random): unknown {
  switch (random.below(6)) {
    case 0:
      return random.pick(HOSTILE_VALUES);
    case 1:
      return [value, value];
    case 2:
      return { value };
    case 3:
      return typeof value === 'string' ? `${value}${random.pick(['\u0000', '\u202e', '\u0007', 'é', '"', '\\'])}` : textOf(value);
    case 4:
      return typeof value === 'number' ? value * random.pick([-1, 1e6, 0.5, Number.NaN]) : value;
    default:
      return random.pick(HOSTILE_QUERY_VALUES);
  }
}

function mutateObject(template: Record<string, unknown>, random: Random): Record<string, unknown> {
  const out: Record<string, unknown> = { ...template };
  for (let i = random.below(3) + 1; i > 0; i--) {
    const keys = Object.keys(out);
    const key = keys.length > 0 && random.chance(0.8) ? random.pick(keys) : random.pick([...QUERY_KEYS, 'extra']);
    switch (random.below(4)) {
      case 0:
        delete out[key];
        break;
      default:
        out[key] = mutateValue(out[key], random);
    }
  }
  return out;
}

/** Byte-level damage to a JSON text: flips, cuts, splices and noise. */
function mutateBytes(text: string, random: Random): Uint8Array<ArrayBuffer> {
  const bytes = Buffer.from(text);
  const out = Uint8Array.from(bytes);
  switch (random.below(4)) {
    case 0:
      for (let i = random.below(4) + 1; i > 0 && out.length > 0; i--) {
        const at = random.below(out.length);
        out[at] = out[at]! ^ (1 << random.below(8));
      }
      return out;
    case 1:
      return out.slice(0, random.below(out.length + 1));
    case 2: {
      const at = random.below(out.length + 1);
      const noise = Array.from({ length: random.below(8) + 1 }, () => random.below(256));
      return Uint8Array.from([...out.slice(0, at), ...noise, ...out.slice(at)]);
    }
    default: {
      const at = random.below(out.length + 1);
      return Uint8Array.from([...out.slice(0, at), ...out.slice(random.below(out.length + 1))]);
    }
  }
}

function mutateQuery(route: RouteCase, random: Random): string {
  const mutated = Object.entries(mutateObject(route.query, random)).map(([k, v]) => [k, textOf(v)]);
  const params = new URLSearchParams(mutated);
  if (random.chance(0.2)) {
    const key = random.pick([...Object.keys(route.query), ...QUERY_KEYS]);
    params.append(key, random.pick(HOSTILE_QUERY_VALUES));
  }
  let text = params.toString();
  if (random.chance(0.1)) text += `&${random.pick(['from[]=x', 'to[a]=b', '%ff=%fe', 'year=%00', 'limit[]=1'])}`;
  return text;
}

function makeCase(h: HostilePlatform, random: Random): FuzzCase {
  const route = random.pick(h.routes.filter((r) => r.path !== LOGOUT && r.path !== PASSWORD));
  const roles = [...h.clients.keys()];
  // Mostly a role the route allows, so the input gets past the guard to the validation.
  const allowed = route.rule.roles === 'public' ? roles : roles.filter((r) => (route.rule.roles as readonly Role[]).includes(r));
  const role = random.chance(0.85) && allowed.length > 0 ? random.pick(allowed) : random.pick(roles);
  let path = route.path;
  if (route.rule.path.includes(':') && random.chance(0.15)) {
    path = route.rule.path.replace(/:[a-zA-Z]+/, random.pick(HOSTILE_SEGMENTS)).replace(/:[a-zA-Z]+/g, 'FZ-404');
  }
  const query = random.chance(route.rule.method === 'GET' ? 0.9 : 0.1) ? mutateQuery(route, random) : '';
  let body: FuzzCase['body'];
  if (route.body !== undefined) {
    const json = JSON.stringify(random.chance(0.9) ? mutateObject(route.body, random) : random.pick(HOSTILE_VALUES));
    body = random.chance(0.25) ? mutateBytes(json, random) : json;
  }
  return { route, role, path: query === '' ? path : `${path}?${query}`, body };
}

let h: HostilePlatform;
const unhandled: unknown[] = [];
const record = (error: unknown) => unhandled.push(error);

beforeAll(async () => {
  process.on('uncaughtException', record);
  process.on('unhandledRejection', record);
  h = await startHostilePlatform();
});
afterAll(async () => {
  process.off('uncaughtException', record);
  process.off('unhandledRejection', record);
  await h?.t.stop();
});

test(`fuzz: ${CASES} mutated requests over every route and role (seed ${SEED})`, { timeout: 120_000 }, async () => {
  const random = new Random(SEED);
  const cases = Array.from({ length: CASES }, () => makeCase(h, random));
  const statuses = new Map<number, number>();
  let next = 0;
  const failures: string[] = [];
  const worker = async () => {
    while (next < cases.length && failures.length === 0) {
      const n = next++;
      const c = cases[n]!;
      // A fuzzed PATCH may disable or demote the target user: its own session is the one used for it.
      const client =
        (PERSON_ROLES as readonly string[]).includes(c.role) && c.route.rule.method !== 'GET'
          ? await sessionOf(h.t, c.role)
          : h.clients.get(c.role)!;
      const { status, text } = await sendRaw(h.t.baseUrl, client, c.route.rule.method, c.path, c.body);
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
      if (status >= 500)
        failures.push(
          `case ${n} (FUZZ_SEED=${SEED}): ${c.route.rule.method} ${c.path.slice(0, 200)} as ${c.role}: ${status} ${text.slice(0, 200)}`,
        );
      try {
        await probe(h);
      } catch (error) {
        failures.push(`case ${n} (FUZZ_SEED=${SEED}) left the platform not answering: ${(error as Error).message}`);
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  expect(failures).toEqual([]);
  expect(unhandled).toEqual([]);
  // The fuzz reached the handlers, not only the guard: most cases were refused by validation.
  expect(statuses.get(400) ?? 0).toBeGreaterThan(CASES / 3);
  console.info(`http fuzz: ${CASES} cases`, Object.fromEntries([...statuses].sort(([a], [b]) => a - b)));
});
