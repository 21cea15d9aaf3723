import { pino, type Logger } from 'pino';

export interface LoggerOptions {
  /** Pretty lines for a person at a terminal; JSON lines otherwise (default: whether stdout is a terminal). */
  isTerminal?: boolean;
  /** Where pretty lines go (a path or a file descriptor); stdout by default. */
  prettyDestination?: string | number;
}

/**
 * The one structured logger; components take a child (`{component: 'broker'}`). JSON lines when
 * stdout is piped (journald, a log shipper); at a terminal, pino-pretty formats them through
 * pino's own transport, on a worker thread, so formatting never holds up the event loop.
 */
export function createLogger(level: string, options: LoggerOptions = {}): Logger {
  const settings = { level, base: undefined, timestamp: pino.stdTimeFunctions.isoTime };
  const isTerminal = options.isTerminal ?? process.stdout.isTTY === true;
  if (!isTerminal || level === 'silent') return pino(settings);
  const destination = options.prettyDestination ?? 1;
  return pino({
    ...settings,
    transport: {
      target: 'pino-pretty',
      options: { destination, colorize: destination === 1, translateTime: 'SYS:yyyy-mm-dd HH:MM:ss.l', mkdir: true },
    },
  });
}
