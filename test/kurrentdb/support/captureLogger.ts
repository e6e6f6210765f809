import { Writable } from 'node:stream';
import winston from 'winston';

export interface CapturedLog {
  level: string;
  message: string;
  [key: string]: unknown;
}

/** A winston logger that keeps its records in memory, so tests can see what the adapter reported. */
export function captureLogger(): { logger: winston.Logger; records: CapturedLog[] } {
  const records: CapturedLog[] = [];
  const sink = new Writable({
    objectMode: true,
    write(record: CapturedLog, _encoding, done) {
      records.push(record);
      done();
    },
  });
  const logger = winston.createLogger({ level: 'debug', transports: [new winston.transports.Stream({ stream: sink })] });
  return { logger, records };
}
