import winston, { type Logger } from 'winston';

/** The benchmarks measure the engine, not its logging: a logger that writes nothing and builds no metadata. */
export const silentLogger = (): Logger => winston.createLogger({ silent: true });
