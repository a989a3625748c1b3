import pino, { type Logger } from 'pino';

export type { Logger };

/** One root logger per process; components take `logger.child({ component })`. JSON lines on stdout. */
export function createLogger(level: string, base: Record<string, unknown> = {}): Logger {
  return pino({ level, base: { pid: process.pid, ...base }, timestamp: pino.stdTimeFunctions.isoTime });
}
