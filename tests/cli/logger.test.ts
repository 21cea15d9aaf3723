import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { createLogger } from '../../cli/logger.js';

const PROJECT_ROOT = join(import.meta.dirname, '../..');

describe('the logger', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kiosk-logger-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('at a terminal, lines are pretty (level, message, fields), not JSON', async () => {
    const file = join(dir, 'pretty.log');
    const logger = createLogger('info', { isTerminal: true, prettyDestination: file });
    logger.child({ component: 'broker' }).info({ port: 1883 }, 'broker running');
    await expect.poll(() => (existsSync(file) ? readFileSync(file, 'utf8') : '')).toContain('broker running');
    const text = readFileSync(file, 'utf8');
    expect(text).toMatch(/INFO.*broker running/);
    expect(text).toContain('port: 1883');
    expect(() => JSON.parse(text.split('\n')[0]!)).toThrow();
  });

  test('piped, the command line logs one JSON object a line', async () => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '-e',
        "import('./cli/logger.ts').then(({ createLogger }) => createLogger('info').info({ component: 'test' }, 'hello'))",
      ],
      {
        cwd: PROJECT_ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    await once(child, 'close');
    const line = JSON.parse(stdout.trim()) as Record<string, unknown>;
    expect(line).toMatchObject({ level: 30, component: 'test', msg: 'hello' });
    expect(typeof line.time).toBe('string');
  });
});
