export { createLogger } from './createLogger.js';
export type { CreateLoggerOptions, LogFormat } from './createLogger.js';
export { REDACTED, createRedactor } from './redact.js';
export type { Redactor } from './redact.js';
/** winston's `Logger`: what `createLogger` returns and every ECL part that logs takes. */
export type { Logger } from 'winston';
