/**
 * Live latency as a person sees it: headless Chromium opens the dashboard's own origin, loads the
 * socket.io client the dashboard serves (`/socket.io/socket.io.min.js`, same origin, so the app's
 * CSP allows it), connects with an integration token and records, for every event pushed, the
 * browser's wall clock at arrival beside the event's own timestamp (set by the load generator at
 * publish, millisecond resolution, the same machine's clock).
 */
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';

/** An event's publish time and its arrival in the page, epoch ms. */
export interface BrowserArrival {
  publishedMs: number;
  arrivedMs: number;
}

export interface BrowserLiveProbe {
  /** Arrivals so far, read from the page. */
  arrivals(): Promise<BrowserArrival[]>;
  close(): Promise<void>;
}

/** `CHROMIUM_PATH`, else `chromium` on the PATH; null when there is none. */
export function findChromium(): string | null {
  if (process.env.CHROMIUM_PATH) return process.env.CHROMIUM_PATH;
  for (const dir of (process.env.PATH ?? '').split(delimiter).filter(Boolean))
    for (const name of ['chromium', 'chromium-browser']) if (existsSync(join(dir, name))) return join(dir, name);
  return null;
}

declare global {
  interface Window {
    benchArrivals?: [number, number][];
  }
}

export async function openBrowserLiveProbe(
  executablePath: string,
  dashboardUrl: string,
  token: string,
): Promise<BrowserLiveProbe> {
  const browser: Browser = await chromium.launch({ executablePath, args: ['--no-sandbox', '--disable-gpu'] });
  try {
    const page: Page = await browser.newPage();
    await page.goto(`${dashboardUrl}/`);
    await page.addScriptTag({ url: '/socket.io/socket.io.min.js' });
    await page.evaluate(
      ({ url, authToken }) =>
        new Promise<void>((resolve, reject) => {
          const arrivals: [number, number][] = [];
          window.benchArrivals = arrivals;
          const connect = (window as unknown as { io: (url: string, options: object) => SocketLike }).io;
          const socket = connect(url, { transports: ['websocket'], reconnection: false, auth: { token: authToken } });
          socket.on('events', (events: { ts: string }[]) => {
            const arrivedMs = performance.timeOrigin + performance.now();
            for (const e of events) arrivals.push([Date.parse(e.ts), arrivedMs]);
          });
          socket.on('snapshot', () => resolve());
          socket.on('connect_error', (error: Error) => reject(error));
          interface SocketLike {
            on(event: string, listener: (...args: never[]) => void): void;
          }
        }),
      { url: dashboardUrl, authToken: token },
    );
    return {
      async arrivals() {
        const pairs = await page.evaluate(() => window.benchArrivals ?? []);
        return pairs.map(([publishedMs, arrivedMs]) => ({ publishedMs, arrivedMs }));
      },
      close: () => browser.close(),
    };
  } catch (error) {
    await browser.close();
    throw error;
  }
}
