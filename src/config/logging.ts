/** How much the program says, and in which form. */
import { z } from 'zod';
import type { Parsed } from './fields.js';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const loggingVariables = {
  LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  LOG_FORMAT: z.enum(['auto', 'json', 'pretty']).default('auto'),
};

export interface LoggingConfig {
  logLevel: LogLevel;
  logFormat: 'auto' | 'json' | 'pretty';
}

export const loggingConfig = (e: Parsed<typeof loggingVariables>): LoggingConfig => ({ logLevel: e.LOG_LEVEL, logFormat: e.LOG_FORMAT });
