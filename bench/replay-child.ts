/**
 * Child process of the replay scenario (bench/replay.ts): `kiosk-fleet replay --year YYYY` as the
 * command line runs it (cli/replay.ts → simulator/replay.ts), against the platform the parent hosts.
 * Its settings come from the environment; it sends the result over IPC and exits.
 */
import { createLogger } from '../cli/logger.js';
import { replayYear } from '../cli/replay.js';
import { parseConfig } from '../config/config.js';

const year = process.argv[2];
const config = parseConfig(process.env);
const started = performance.now();
replayYear(config, year, createLogger(config.LOG_LEVEL)).then(
  (result) => {
    const message = {
      type: 'result',
      wallMs: performance.now() - started,
      machines: result.machines,
      acked: result.acked,
      rejected: result.rejected,
      generated: result.generated,
      reconnects: result.reconnects,
      elapsedMs: result.elapsedMs,
      eventsPerSecond: result.eventsPerSecond,
      cpuSeconds: (process.cpuUsage().user + process.cpuUsage().system) / 1e6,
    };
    process.send?.(message, undefined, {}, () => process.exit(0));
  },
  (error: unknown) => {
    process.send?.({ type: 'failed', message: (error as Error).stack ?? String(error) }, undefined, {}, () => process.exit(1));
  },
);
process.on('disconnect', () => process.exit(3));
