import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';

export interface CliChild {
  pid: number | undefined;
  stop(): Promise<void>;
}

/**
 * A `kiosk-fleet` command (from the TypeScript sources) in a process of its own, as deployed, so
 * a benchmark's load generator does not share its event loop; resolves once the child logs `ready`.
 * `onLine` sees every line the child writes to stdout (its JSON log).
 */
export async function startCliChild(
  command: string,
  env: Record<string, string>,
  ready: string,
  onLine?: (line: string) => void,
): Promise<CliChild> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'cli/main.ts', command], {
    cwd: new URL('..', import.meta.url),
    env: { ...process.env, ...env, LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! });
  await new Promise<void>((resolve, reject) => {
    lines.on('line', (line) => {
      onLine?.(line);
      if (line.includes(ready)) resolve();
    });
    child.once('exit', (code) => reject(new Error(`${command} exited early (${code})`)));
  });
  return {
    pid: child.pid,
    async stop() {
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
  };
}
