import { useEffect, useRef, useState } from 'preact/hooks';
import { useSyncExternalStore } from 'preact/compat';
import { ApiError } from './api.js';
import type { LiveState, LiveStore } from './live/live-store.js';

let liveStore: LiveStore | null = null;

export function provideLiveStore(store: LiveStore): void {
  liveStore = store;
}

/** A slice of the live state; the component renders again only when that slice changes identity. */
export function useLive<T>(select: (s: LiveState) => T): T {
  const store = liveStore!;
  return useSyncExternalStore(store.subscribe, () => select(store.getState()));
}

/** The route from `#/path/parts`. */
export function useRoute(): string[] {
  const read = () => decodeURIComponent(location.hash.replace(/^#\/?/, '')).split('/').filter(Boolean);
  const [parts, setParts] = useState(read);
  useEffect(() => {
    const onChange = () => setParts(read());
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return parts;
}

/** Now, in ms, refreshed every `everyMs`: countdowns tick without the server. */
export function useNow(everyMs = 1_000): number {
  const [now, setNow] = useState(Date.now);
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(timer);
  }, [everyMs]);
  return now;
}

export type Loaded<T> = { data: T; error: null } | { data: null; error: ApiError | null };

/** Loads `load()` whenever a key changes; keeps the last data while reloading. */
export function useLoad<T>(load: () => Promise<T>, keys: unknown[]): Loaded<T> & { reload: () => void } {
  const [result, setResult] = useState<Loaded<T>>({ data: null, error: null });
  const [round, setRound] = useState(0);
  useEffect(() => {
    let isCurrent = true;
    load().then(
      (data) => isCurrent && setResult({ data, error: null }),
      (error: unknown) =>
        isCurrent &&
        setResult((r) =>
          r.data !== null
            ? r
            : { data: null, error: error instanceof ApiError ? error : new ApiError(0, 'ERROR', String(error)) },
        ),
    );
    return () => {
      isCurrent = false;
    };
  }, [...keys, round]);
  return { ...result, reload: () => setRound((n) => n + 1) };
}

/** `value`, but changing at most once per `intervalMs` (the latest value wins): for costly redraws. */
export function useThrottled<T>(value: T, intervalMs: number): T {
  const [shown, setShown] = useState(value);
  const lastMs = useRef(0);
  useEffect(() => {
    const waitMs = lastMs.current + intervalMs - Date.now();
    if (waitMs <= 0) {
      lastMs.current = Date.now();
      setShown(value);
      return;
    }
    const timer = setTimeout(() => {
      lastMs.current = Date.now();
      setShown(value);
    }, waitMs);
    return () => clearTimeout(timer);
  }, [value, intervalMs]);
  return shown;
}
