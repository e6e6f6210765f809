import { isIP } from 'node:net';
import { z } from 'zod';
import { DEFAULT_MAX_JSON_DEPTH, TENANT_PATTERN, TENANT_RULE } from '../edge/index.js';

/** Tenant names become id prefixes (`<tenant>:<id>`), so they carry no `:` and no white space. */
export const TenantName = z.string().regex(TENANT_PATTERN, TENANT_RULE);

/** The shortest API key secret accepted: a guessable key is no key. */
export const MIN_API_KEY_LENGTH = 16;

/** An API key: `id` is recorded as the event sender; `key` is the secret and is never logged. */
export const ApiKeyEntry = z.object({
  id: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'a key id is 1-64 letters, digits, _ . or -'),
  key: z
    .string()
    .min(MIN_API_KEY_LENGTH, `an API key secret is at least ${MIN_API_KEY_LENGTH} characters (use a random one, e.g. openssl rand -hex 24)`)
    .max(512),
  tenant: TenantName,
});

const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/**
 * Why `host` cannot be bound, or undefined: an IPv4 or IPv6 address, or a host name. Dotted
 * numbers must be an IPv4 address (`999.1.1.1` is neither an address nor a name), and a URL is
 * not a host.
 */
export function hostProblem(host: string): string | undefined {
  if (isIP(host) !== 0) return undefined;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(host)) return 'invalid host: give a host name or an IP address, not a URL';
  if (host.startsWith('[')) return 'invalid host: give an IPv6 address without brackets, e.g. ::1';
  if (/^[\d.]+$/.test(host)) return 'invalid host: not an IPv4 address (four numbers from 0 to 255)';
  if (!HOSTNAME.test(host)) return 'invalid host: a host name is letters, digits and hyphens in dot-separated labels';
  return undefined;
}

const Host = z.string().superRefine((host, context) => {
  const problem = hostProblem(host);
  if (problem !== undefined) context.addIssue({ code: 'custom', message: problem });
});
export type ApiKeyEntry = z.infer<typeof ApiKeyEntry>;

/**
 * A browser origin as the `Origin` header carries it: scheme, host and port only, no path or
 * trailing slash, so it can be compared exactly. `*` is refused: the API takes credentials.
 */
const CorsOrigin = z.string().superRefine((origin, context) => {
  let url: URL | undefined;
  try {
    url = new URL(origin);
  } catch {
    url = undefined;
  }
  if (url === undefined || !/^https?:$/.test(url.protocol) || url.origin !== origin)
    context.addIssue({ code: 'custom', message: 'an origin is scheme://host[:port] exactly, e.g. https://app.example.com (no path, no trailing slash, no *)' });
});

const Port = z.number().int().min(0).max(65535);

export const LOG_LEVELS = ['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly'] as const;

/**
 * The one configuration of `ecl`: defaults, then `ecl.config.json`, then `ECL_*` variables
 * (env wins), then command-line flags. Every key's env variable is `ECL_` + its SNAKE_CASE name.
 */
export const EclConfig = z
  .object({
    workflows: z
      .array(z.string().min(1, 'a module path must not be empty'))
      .optional()
      .describe('Workflow modules (.js, .mjs, .ts) whose exported definitions are registered; env form "a.ts,b.js"; in the file, relative to the file'),
    store: z
      .string()
      .min(1)
      .optional()
      .describe('Event store URL (memory:, sqlite:<file>, postgres://..., esdb://...); the CLI picks the embedded SQLite default'),
    llm: z.string().min(1).optional().describe('Model provider spec: offline, anthropic or script:<file>'),
    artifactsDir: z.string().min(1).optional().describe('Where artifacts are written (local artifact store)'),
    projections: z.string().min(1).optional().describe('Read-model SQLite file (default: beside the store)'),
    host: Host.default('127.0.0.1').describe('Interface `ecl serve` binds: an IP address or a host name'),
    port: Port.default(3000).describe('Port `ecl serve` listens on (0 = any free port)'),
    apiKeys: z.array(ApiKeyEntry).default([]).describe('API keys; env form "secret=tenant,secret2=tenant2"'),
    corsOrigins: z
      .array(CorsOrigin)
      .default([])
      .describe(
        'Browser origins allowed to call the API (CORS), exactly as the browser sends them; none = CORS off; env form "https://a.example,http://127.0.0.1:5173"',
      ),
    streamTokenTtlMs: z
      .number()
      .int()
      .min(1_000)
      .max(3_600_000)
      .default(60_000)
      .describe('How long a stream token (POST /v1/stream-tokens) opens SSE streams; an open stream outlives it'),
    inspectPort: Port.default(8080).describe('Port of the Stately inspector relay (`--inspect`)'),
    logLevel: z.enum(LOG_LEVELS).default('info').describe('winston log level'),
    logFormat: z.enum(['auto', 'json', 'pretty']).default('auto').describe('auto = JSON unless a terminal outside production'),
    bodyLimitBytes: z
      .number()
      .int()
      .min(1024)
      .max(64 * 1024 * 1024)
      .default(1024 * 1024)
      .describe('Largest accepted request body'),
    maxJsonDepth: z
      .number()
      .int()
      .min(1)
      .max(1_000)
      .default(DEFAULT_MAX_JSON_DEPTH)
      .describe('How deeply an input or command data may nest arrays and objects (API bodies and CLI --input/--data)'),
    requestTimeoutMs: z.number().int().min(100).max(3_600_000).default(30_000).describe('Time for a whole request (headers and body) to arrive before 408'),
    headersTimeoutMs: z
      .number()
      .int()
      .min(100)
      .max(3_600_000)
      .default(10_000)
      .describe("Time for a request's headers to arrive before 408; at most requestTimeoutMs"),
    keepAliveTimeoutMs: z
      .number()
      .int()
      .min(100)
      .max(3_600_000)
      .default(72_000)
      .describe('How long an idle keep-alive connection stays open (longer than a load balancer in front)'),
    connectionTimeoutMs: z
      .union([z.literal(0), z.number().int().min(20_000).max(86_400_000)])
      .default(120_000)
      .describe('A connection with no traffic either way for this long is closed (0 = never); above the 15 s SSE keep-alive'),
    maxConnectionsPerClient: z
      .number()
      .int()
      .min(0)
      .max(1_000_000)
      .default(1_024)
      .describe('Open connections from one client address (0 = no cap; raise it behind a proxy)'),
    maxPageSize: z.number().int().min(1).max(10_000).default(100).describe('Largest page of GET /v1/workflows'),
    maxSseClients: z.number().int().min(1).max(1_000_000).default(10_000).describe('Concurrent SSE connections before 503'),
    readYourWritesTimeoutMs: z.number().int().min(0).max(600_000).default(5_000).describe('How long a read after a command waits for the projection'),
    shutdownTimeoutMs: z.number().int().min(0).max(600_000).default(10_000).describe('Grace period for in-flight work on SIGTERM'),
    workerId: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/, '1-128 letters, digits, _ . : -, starting with a letter or digit')
      .optional()
      .describe('This process’s name among the workers sharing the store (default <host>-<pid>-<random>); unique per live process'),
    leaseTtlMs: z
      .number()
      .int()
      .min(500)
      .max(600_000)
      .default(4_000)
      .describe('How long a worker’s partition leases last without a heartbeat: a dead worker’s workflows move after about this long'),
    server: z
      .url({ protocol: /^https?$/ })
      .optional()
      .describe('Remote `ecl serve` base URL for CLI commands'),
    apiKey: z.string().min(1).optional().describe('API key the CLI sends to --server'),
  })
  .strict()
  .superRefine((config, context) => {
    // Node refuses a headers timeout longer than the request's; name both keys, each with its own source.
    if (config.headersTimeoutMs > config.requestTimeoutMs) {
      context.addIssue({ code: 'custom', path: ['headersTimeoutMs'], message: `must be at most requestTimeoutMs (${config.requestTimeoutMs})` });
      context.addIssue({ code: 'custom', path: ['requestTimeoutMs'], message: `must be at least headersTimeoutMs (${config.headersTimeoutMs})` });
    }
  });

export type EclConfig = z.infer<typeof EclConfig>;
export type EclConfigInput = z.input<typeof EclConfig>;
export type EclConfigKey = keyof EclConfig;

export const CONFIG_KEYS = Object.keys(EclConfig.shape) as EclConfigKey[];
/** Keys whose values are secrets: never echoed in errors or logs. */
export const SECRET_KEYS: ReadonlySet<string> = new Set<EclConfigKey>(['apiKeys', 'apiKey']);

/** `inspectPort` -> `ECL_INSPECT_PORT`. */
export const envVariableOf = (key: EclConfigKey): string => `ECL_${key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
