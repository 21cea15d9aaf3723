/**
 * Failed logins counted per address and per username in a sliding window. Only failures count, so
 * people signing in correctly from one office address are never slowed down; a guesser is stopped
 * after a few tries per account and a few dozen per address. In memory: a restart forgives.
 */
export interface LoginLimits {
  windowMs: number;
  perUsername: number;
  perAddress: number;
}

export const DEFAULT_LOGIN_LIMITS: LoginLimits = { windowMs: 15 * 60_000, perUsername: 5, perAddress: 20 };

/** Keys kept at most; the oldest are forgotten first, so a flood of names cannot exhaust memory. */
const MAX_KEYS = 50_000;

export interface LoginLimiter {
  /** Seconds until a login may be tried again, or 0 when it may be tried now. */
  retryAfterSeconds(address: string, username: string): number;
  recordFailure(address: string, username: string): void;
  recordSuccess(username: string): void;
}

export function createLoginLimiter(now: () => number, limits: LoginLimits = DEFAULT_LOGIN_LIMITS): LoginLimiter {
  const failures = new Map<string, number[]>();
  const recent = (key: string) => {
    const since = now() - limits.windowMs;
    const times = (failures.get(key) ?? []).filter((t) => t > since);
    if (times.length === 0) failures.delete(key);
    else failures.set(key, times);
    return times;
  };
  const wait = (key: string, limit: number) => {
    const times = recent(key);
    return times.length < limit ? 0 : Math.ceil((times[times.length - limit]! + limits.windowMs - now()) / 1000);
  };
  const add = (key: string) => {
    const times = recent(key);
    failures.delete(key);
    failures.set(key, [...times, now()]);
    if (failures.size > MAX_KEYS) failures.delete(failures.keys().next().value!);
  };
  return {
    retryAfterSeconds: (address, username) =>
      Math.max(wait(`a:${address}`, limits.perAddress), wait(`u:${username}`, limits.perUsername)),
    recordFailure(address, username) {
      add(`a:${address}`);
      add(`u:${username}`);
    },
    recordSuccess: (username) => void failures.delete(`u:${username}`),
  };
}
