import pino, { type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from './config';

export type { Logger } from 'pino';

/**
 * Paths removed from every log line. Credentials can appear in request headers
 * (`req.headers.*`, `headers.*`) or in objects that happen to be logged.
 */
export const REDACTED_PATHS: readonly string[] = [
  'authorization',
  'cookie',
  'password',
  'apiKey',
  'api_key',
  '["x-api-key"]',
  '["set-cookie"]',
  '*.authorization',
  '*.cookie',
  '*.password',
  '*.apiKey',
  '*.api_key',
  '*["x-api-key"]',
  '*["set-cookie"]',
  '*.headers.authorization',
  '*.headers.cookie',
  '*.headers["x-api-key"]',
  '*.headers["set-cookie"]',
];

export interface LoggerOptions {
  service: string;
  level: LogLevel;
  /** Defaults to stdout. */
  destination?: DestinationStream;
}

/** JSON lines to stdout: `{"level":"info","time":"...","service":"shop-api","msg":"..."}`. */
export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level,
      base: { service: options.service, pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: [...REDACTED_PATHS], censor: '[REDACTED]' },
    },
    options.destination ?? pino.destination({ dest: 1, sync: true }),
  );
}
