import pino, { type Logger } from 'pino';
import { activeTraceFields } from './trace-context';

export type { Logger };

/**
 * One root logger per process; components take `logger.child({ component })`. JSON lines on stdout. A line written
 * while a span is active carries its trace_id/span_id and the event's correlation_id (baggage), so logs join traces.
 */
export function createLogger(level: string, base: Record<string, unknown> = {}): Logger {
  return pino({ level, base: { pid: process.pid, ...base }, timestamp: pino.stdTimeFunctions.isoTime, mixin: activeTraceFields });
}
