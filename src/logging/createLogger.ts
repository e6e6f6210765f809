import type { Writable } from 'node:stream';
import winston from 'winston';
import { createRedactor } from './redact.js';

export type LogFormat = 'auto' | 'json' | 'pretty';

/** Options of {@link createLogger}. */
export interface CreateLoggerOptions {
  /** winston level (default `info`). */
  level?: string;
  /** `auto`: JSON when NODE_ENV=production or the output is not a terminal, readable otherwise. */
  format?: LogFormat;
  /** Literal secrets to scrub from every line (API keys, the Anthropic key). */
  secrets?: readonly string[];
  /** Where lines go; defaults to stderr, so stdout stays the CLI's. */
  stream?: Writable & { isTTY?: boolean };
  /** Fields on every line, e.g. `{ service: 'ecl' }`. */
  defaultMeta?: Record<string, unknown>;
  /** Read for `NODE_ENV` and `ANTHROPIC_API_KEY` (always redacted); defaults to `process.env`. */
  env?: Record<string, string | undefined>;
}

/** Fields that lead a readable line, in this order, when present. */
const LEADING_FIELDS = ['workflowId', 'step', 'revision'] as const;

/**
 * The one winston logger a process passes around (to `createEngine`, `openEventStore`, providers).
 * Every line is scrubbed of secrets: fields named like one (`authorization`, `apiKey`, `token`,
 * …), token-shaped strings (Anthropic keys, bearer tokens) and each literal in `secrets`. Readable
 * lines lead with `workflowId`, `step` and `revision` when present.
 */
export function createLogger(options: CreateLoggerOptions = {}): winston.Logger {
  const env = options.env ?? process.env;
  const stream = options.stream ?? process.stderr;
  const json = resolveJson(options.format ?? 'auto', env, stream.isTTY === true);
  const secrets = [...(options.secrets ?? []), ...(env.ANTHROPIC_API_KEY ? [env.ANTHROPIC_API_KEY] : [])];
  const redact = createRedactor(secrets);
  const scrub = winston.format((info) => {
    const clean = redact({ ...info }) as Record<string | symbol, unknown>;
    for (const key of Object.keys(info)) if (key !== 'level') (info as Record<string, unknown>)[key] = clean[key];
    return info;
  });
  const format = json
    ? winston.format.combine(winston.format.errors({ stack: true }), scrub(), winston.format.timestamp(), winston.format.json())
    : winston.format.combine(
        winston.format.errors({ stack: true }),
        scrub(),
        winston.format.timestamp({ format: 'HH:mm:ss.SSS' }),
        readable(useColour(stream, env)),
      );
  return winston.createLogger({
    level: options.level ?? 'info',
    format,
    defaultMeta: options.defaultMeta,
    transports: [new winston.transports.Stream({ stream })],
  });
}

/** Colour only on a terminal, and never with NO_COLOR set to anything but the empty string (no-color.org). */
export const useColour = (stream: { isTTY?: boolean }, env: Record<string, string | undefined> = process.env): boolean =>
  stream.isTTY === true && (env.NO_COLOR ?? '') === '';

function resolveJson(format: LogFormat, env: Record<string, string | undefined>, tty: boolean): boolean {
  if (format !== 'auto') return format === 'json';
  return env.NODE_ENV === 'production' || !tty;
}

const readable = (colour: boolean) => {
  const colorizer = winston.format.colorize();
  return winston.format.printf((info) => {
    const { level, message, timestamp, stack, ...rest } = info as Record<string, unknown> & { level: string };
    const lead = LEADING_FIELDS.filter((key) => rest[key] !== undefined).map((key) => `${key}=${String(rest[key])}`);
    for (const key of LEADING_FIELDS) delete rest[key];
    const tail = Object.keys(rest).length > 0 ? ` ${JSON.stringify(rest)}` : '';
    const shown = colour ? colorizer.colorize(level, level.padEnd(5)) : level.padEnd(5);
    return `${String(timestamp)} ${shown} ${[...lead, String(message)].join(' ')}${tail}${typeof stack === 'string' ? `\n${stack}` : ''}`;
  });
};
