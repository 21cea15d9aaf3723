/**
 * Failed sign-ins counted in a sliding window, per (account, address) and per address. A guesser
 * is stopped after a few tries at one account from one address and a few dozen from one address;
 * the account itself is never locked for everyone: its owner signing in from an address that did
 * not fail gets in (slowed down while the account is being guessed). In memory: a restart forgives.
 */
export interface LoginLimits {
  windowMs: number;
  /** Failures of one account from one address before that pair must wait. */
  perAccountAndAddress: number;
  /** Failures from one address, whatever the accounts, before that address must wait. */
  perAddress: number;
  /** Failures of one account, from anywhere, that mean it is being guessed: its owner is told. */
  guessedAfter: number;
  /** Added before answering a sign-in to an account being guessed: slows a spread-out guesser. */
  slowdownMs: number;
}

export const DEFAULT_LOGIN_LIMITS: LoginLimits = {
  windowMs: 15 * 60_000,
  perAccountAndAddress: 5,
  perAddress: 20,
  guessedAfter: 5,
  slowdownMs: 1_000,
};

/** Keys kept at most; the oldest are forgotten first, so a flood of names cannot exhaust memory. */
const MAX_KEYS = 50_000;
/** Failures remembered per key: more changes no decision (every limit is far below it). */
const MAX_FAILURES_PER_KEY = 1_000;

/** An account failing from several places: what its owner is told. */
export interface GuessedAccount {
  username: string;
  failures: number;
  addresses: number;
  sinceMs: number;
}

/**
 * In memory here (per process: a restart forgives); shared by every node in PostgreSQL
 * (`postgres-login-limiter.ts`).
 */
export interface LoginLimiter {
  /** Seconds until a sign-in from this address to this account may be tried again, or 0 when it may be tried now. */
  retryAfterSeconds(address: string, username: string): Promise<number>;
  /** How long to hold a sign-in to this account back (it is being guessed), or 0. */
  slowdownMs(username: string): Promise<number>;
  /** Counts a failure; returns the account when this failure is the one that shows it is being guessed. */
  recordFailure(address: string, username: string): Promise<GuessedAccount | null>;
  /** A right password forgives this address's failures at this account (not the account's from elsewhere). */
  recordSuccess(address: string, username: string): Promise<void>;
  /** Accounts being guessed now. */
  guessed(): Promise<GuessedAccount[]>;
}

interface Failure {
  atMs: number;
  address: string;
}

export function createLoginLimiter(now: () => number, limits: LoginLimits = DEFAULT_LOGIN_LIMITS): LoginLimiter {
  const failures = new Map<string, Failure[]>();
  /** Accounts already reported in their current wave of guessing. */
  const reported = new Set<string>();
  const recent = (key: string) => {
    const since = now() - limits.windowMs;
    const kept = (failures.get(key) ?? []).filter((f) => f.atMs > since);
    if (kept.length === 0) failures.delete(key);
    else failures.set(key, kept);
    return kept;
  };
  const wait = (key: string, limit: number) => {
    const kept = recent(key);
    return kept.length < limit ? 0 : Math.ceil((kept[kept.length - limit]!.atMs + limits.windowMs - now()) / 1000);
  };
  const add = (key: string, failure: Failure) => {
    const kept = recent(key);
    failures.delete(key); // re-inserted last: the map's order is least recently failed first
    failures.set(key, [...kept.slice(-(MAX_FAILURES_PER_KEY - 1)), failure]);
    if (failures.size > MAX_KEYS) failures.delete(failures.keys().next().value!);
    return failures.get(key)!;
  };
  const accountKey = (username: string) => `u:${username}`;
  const guessedOf = (username: string): GuessedAccount | null => {
    const kept = recent(accountKey(username));
    if (kept.length < limits.guessedAfter) {
      reported.delete(username);
      return null;
    }
    return { username, failures: kept.length, addresses: new Set(kept.map((f) => f.address)).size, sinceMs: kept[0]!.atMs };
  };
  return {
    retryAfterSeconds: async (address, username) =>
      Math.max(wait(`a:${address}`, limits.perAddress), wait(`ua:${username}\u0000${address}`, limits.perAccountAndAddress)),
    slowdownMs: async (username) => (guessedOf(username) ? limits.slowdownMs : 0),
    async recordFailure(address, username) {
      const failure = { atMs: now(), address };
      add(`a:${address}`, failure);
      add(`ua:${username}\u0000${address}`, failure);
      add(accountKey(username), failure);
      const guessed = guessedOf(username);
      if (!guessed || reported.has(username)) return null;
      reported.add(username);
      if (reported.size > MAX_KEYS) reported.delete(reported.values().next().value!);
      return guessed;
    },
    recordSuccess: async (address, username) => void failures.delete(`ua:${username}\u0000${address}`),
    async guessed() {
      const accounts = [...failures.keys()].filter((k) => k.startsWith('u:')).map((k) => k.slice(2));
      return accounts.flatMap((username) => guessedOf(username) ?? []);
    },
  };
}
