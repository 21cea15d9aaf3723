/**
 * `npm run bench:web`: how soon the web app is usable on a slow mobile link, measured in Debian's
 * Chromium with the network throttled through the DevTools protocol
 * (Network.emulateNetworkConditions). Against a whole platform in this process with the reference
 * fleet of 70 simulated machines. Each run is a cold visit (a fresh browser context, empty cache).
 *
 * - sign-in usable: from navigation to the user-name field shown (the form is drawn by the script,
 *   so a shown field is a working one);
 * - fleet page: from the click on "Sign in" to the machine tiles shown, and to the map drawn.
 *
 * Options: `--runs N` (default 5). Writes nothing: copy the table into docs/benchmarks.md.
 */
import { execSync } from 'node:child_process';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import type { Browser } from 'playwright-core';
import { startTestPlatform, TEST_PASSWORDS } from '../tests/support/platform-harness.js';
import { launchBrowser } from '../tests/e2e/browser.js';

interface Link {
  name: string;
  /** Added to every request's round trip, ms. */
  latencyMs: number;
  /** Bytes per second. */
  downloadBps: number;
  uploadBps: number;
}

/**
 * "Slow 3G" as WebPageTest and Lighthouse's original preset define it (400 kbit/s, 400 ms RTT),
 * and as Chrome DevTools' preset does (500 kbit/s × 0.8, 400 ms × 5 of request latency).
 */
const LINKS: Link[] = [
  { name: 'Slow 3G (400 kbit/s, 400 ms RTT)', latencyMs: 400, downloadBps: 50_000, uploadBps: 50_000 },
  { name: 'DevTools "Slow 3G" (400 kbit/s, 2,000 ms)', latencyMs: 2_000, downloadBps: 50_000, uploadBps: 50_000 },
];

const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' } } });
const runs = Number(values.runs);

async function visit(browser: Browser, baseUrl: string, link: Link) {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'en-GB' });
  try {
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false,
      latency: link.latencyMs,
      downloadThroughput: link.downloadBps,
      uploadThroughput: link.uploadBps,
    });
    let bytes = 0;
    cdp.on('Network.loadingFinished', (event: { encodedDataLength: number }) => void (bytes += event.encodedDataLength));
    const startedMs = performance.now();
    await page.goto(baseUrl, { waitUntil: 'commit' });
    await page.getByLabel('User name').waitFor({ timeout: 60_000 });
    const signInMs = performance.now() - startedMs;
    const signInBytes = bytes;
    await page.getByLabel('User name').fill('operator');
    await page.getByLabel('Password').fill(TEST_PASSWORDS.operator);
    const clickedMs = performance.now();
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('.tile').first().waitFor({ timeout: 60_000 });
    const tilesMs = performance.now() - clickedMs;
    await page.locator('.chart canvas').first().waitFor({ timeout: 60_000 });
    const mapMs = performance.now() - clickedMs;
    return { signInMs, signInBytes, tilesMs, mapMs, totalBytes: bytes };
  } finally {
    await context.close();
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const kb = (b: number) => `${Math.round(b / 1000)} KB`;

const t = await startTestPlatform({ SIM_KIOSKS: '70' });
const browser = await launchBrowser();
try {
  const commit = execSync('git rev-parse --short HEAD').toString().trim();
  console.log(
    `commit ${commit}, ${cpus()[0]?.model} × ${cpus().length}, Node ${process.version}, ${runs} cold visits per link, phone viewport 390×844`,
  );
  console.log(
    '| link | sign-in usable (median / max) | tiles after sign-in (median / max) | map drawn (median / max) | bytes before sign-in | bytes in all |',
  );
  console.log('|---|---|---|---|---|---|');
  for (const link of LINKS) {
    const results: Awaited<ReturnType<typeof visit>>[] = [];
    for (let i = 0; i < runs; i++) results.push(await visit(browser, t.baseUrl, link));
    const col = (pick: (r: Awaited<ReturnType<typeof visit>>) => number) =>
      `${s(median(results.map(pick)))} / ${s(Math.max(...results.map(pick)))}`;
    console.log(
      `| ${link.name} | ${col((r) => r.signInMs)} | ${col((r) => r.tilesMs)} | ${col((r) => r.mapMs)} | ${kb(median(results.map((r) => r.signInBytes)))} | ${kb(median(results.map((r) => r.totalBytes)))} |`,
    );
  }
} finally {
  await browser.close();
  await t.stop();
}
