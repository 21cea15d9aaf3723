import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'vite';

const WEB = 'web';
const OUTPUT = join(WEB, 'dist', 'index.html');

function newestSourceMs(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'dist' || entry.name === 'node_modules') continue;
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSourceMs(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/**
 * Vitest global setup: the browser tests drive the app the dashboard serves, so build it first
 * (a clean clone has no web/dist) or again when a source is newer than the build.
 */
export default async function buildWebApp(): Promise<void> {
  if (existsSync(OUTPUT) && statSync(OUTPUT).mtimeMs >= newestSourceMs(WEB)) return;
  await build({ configFile: join(WEB, 'vite.config.ts') });
}
