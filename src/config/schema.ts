import { z } from 'zod';

/** Tenant names become id prefixes (`<tenant>:<id>`), so they carry no `:` and no white space. */
export const TenantName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/, 'a tenant is 1-63 letters, digits, _ . or -, starting with a letter or digit');

/** An API key: `id` is recorded as the event sender; `key` is the secret and is never logged. */
export const ApiKeyEntry = z.object({
  id: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'a key id is 1-64 letters, digits, _ . or -'),
  key: z.string().min(1).max(512),
  tenant: TenantName,
});
export type ApiKeyEntry = z.infer<typeof ApiKeyEntry>;

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
    store: z.string().min(1).optional().describe('Event store URL (memory:, sqlite:<file>, esdb://...); the CLI picks the embedded SQLite default'),
    llm: z.string().min(1).optional().describe('Model provider spec: offline, anthropic or script:<file>'),
    artifactsDir: z.string().min(1).optional().describe('Where artifacts are written (local artifact store)'),
    projections: z.string().min(1).optional().describe('Read-model SQLite file (default: beside the store)'),
    host: z.string().min(1).default('127.0.0.1').describe('Interface `ecl serve` binds'),
    port: Port.default(3000).describe('Port `ecl serve` listens on (0 = any free port)'),
    apiKeys: z.array(ApiKeyEntry).default([]).describe('API keys; env form "secret=tenant,secret2=tenant2"'),
    inspectPort: Port.default(8080).describe('Port of the Stately inspector relay (`--inspect`)'),
    logLevel: z.enum(LOG_LEVELS).default('info').describe('winston log level'),
    logFormat: z.enum(['auto', 'json', 'pretty']).default('auto').describe('auto = JSON unless a terminal outside production'),
    bodyLimitBytes: z.number().int().min(1024).max(64 * 1024 * 1024).default(1024 * 1024).describe('Largest accepted request body'),
    maxPageSize: z.number().int().min(1).max(10_000).default(100).describe('Largest page of GET /v1/workflows'),
    maxSseClients: z.number().int().min(1).max(1_000_000).default(10_000).describe('Concurrent SSE connections before 503'),
    readYourWritesTimeoutMs: z.number().int().min(0).max(600_000).default(5_000).describe('How long a read after a command waits for the projection'),
    shutdownTimeoutMs: z.number().int().min(0).max(600_000).default(10_000).describe('Grace period for in-flight work on SIGTERM'),
    server: z.url({ protocol: /^https?$/ }).optional().describe('Remote `ecl serve` base URL for CLI commands'),
    apiKey: z.string().min(1).optional().describe('API key the CLI sends to --server'),
  })
  .strict();

export type EclConfig = z.infer<typeof EclConfig>;
export type EclConfigInput = z.input<typeof EclConfig>;
export type EclConfigKey = keyof EclConfig;

export const CONFIG_KEYS = Object.keys(EclConfig.shape) as EclConfigKey[];
/** Keys whose values are secrets: never echoed in errors or logs. */
export const SECRET_KEYS: ReadonlySet<string> = new Set<EclConfigKey>(['apiKeys', 'apiKey']);

/** `inspectPort` -> `ECL_INSPECT_PORT`. */
export const envVariableOf = (key: EclConfigKey): string => `ECL_${key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
