/**
 * pino, JSON by default and pretty on a terminal. Every line passes through the
 * secret scrubber just before it is written, whatever field the secret hides in.
 */
import { createRequire } from 'node:module';
import { pino, type DestinationStream, type Logger } from 'pino';
import type PinoPretty from 'pino-pretty';
import type { LogLevel } from '../config/env.js';
import { createScrubber, REDACTED } from './scrub.js';

export type { Logger } from 'pino';

/** Field names whose values are secret whatever they hold. */
const SECRET_FIELDS = [
  'password', 'token', 'secret', 'apiKey', 'authorization', 'serviceRoleKey', 'notionToken',
  'databaseUrl', 'redisUrl', 'headers.authorization', 'headers.apikey',
];
const REDACT_PATHS = SECRET_FIELDS.flatMap((field) => [field, `*.${field}`]);

export interface LoggerOptions {
  level?: LogLevel;
  /** auto: pretty when `destination` is not given and stdout is a terminal. */
  format?: 'auto' | 'json' | 'pretty';
  secrets?: readonly string[];
  /** Where lines go; stdout when not given. */
  destination?: DestinationStream;
  name?: string;
}

function wantsPretty(options: LoggerOptions): boolean {
  if (options.format === 'pretty') return true;
  if (options.format === 'json') return false;
  return options.destination === undefined && process.stdout.isTTY === true;
}

/** Loaded only for a terminal: JSON logs, the production case, never pay for it at start. */
function prettyStream(): DestinationStream {
  const pretty = createRequire(import.meta.url)('pino-pretty') as typeof PinoPretty;
  return pretty({ colorize: true, sync: true });
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const scrub = createScrubber(options.secrets);
  const destination = options.destination ?? (wantsPretty(options) ? prettyStream() : pino.destination(1));
  return pino(
    {
      name: options.name ?? 'tokensync',
      level: options.level ?? 'info',
      redact: { paths: REDACT_PATHS, censor: REDACTED },
      hooks: { streamWrite: scrub },
      serializers: { err: pino.stdSerializers.err },
    },
    destination,
  );
}
