export { createLogger } from './createLogger.js';
export type { CreateLoggerOptions, LogFormat } from './createLogger.js';
export { REDACTED, createRedactor } from './redact.js';
export type { Redactor } from './redact.js';
export type { Logger } from 'winston';
