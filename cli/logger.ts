import { pino, type Logger } from 'pino';

/** The one structured logger; components take a child (`{component: 'broker'}`). */
export function createLogger(level: string): Logger {
  return pino({ level, base: undefined, timestamp: pino.stdTimeFunctions.isoTime });
}
