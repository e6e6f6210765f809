import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import winston from 'winston';
import { startServer, type RunningServer } from '../../../src/api/index.js';
import { createScriptedProvider } from '../../../src/llm/index.js';
import type { DefinitionRegistry } from '../../../src/machines/index.js';
import { createSampleRegistry } from '../../support/definitions.js';
import { createResponseChecker } from './openApiCheck.js';

export const KEYS = {
  acme: { id: 'acme-key', key: 'acme-secret-0001', tenant: 'acme' },
  globex: { id: 'globex-key', key: 'globex-secret-0002', tenant: 'globex' },
} as const;

/** brief's draft step hangs on its first attempt until the call is aborted (cancel, shutdown); everything else is the offline model. */
export const HOLD_DRAFT = { steps: { draft: [{ iteration: 1, attempt: 1, text: 'never answered', holdMs: 'untilAborted' }] }, fallback: 'offline' };
export const OFFLINE_SCRIPT = { fallback: 'offline' } as const;

export interface TestServer extends RunningServer {
  dir: string;
  /** JSON request with the tenant's key; returns status and parsed body. */
  call(method: string, path: string, options?: { body?: unknown; key?: string | null }): Promise<{ status: number; body: any; headers: Headers }>;
  stop(): Promise<void>;
}

export interface TestServerOptions {
  dir?: string;
  /** Event store URL; default a SQLite file in the folder. */
  store?: string;
  script?: unknown;
  keys?: boolean;
  inspect?: boolean;
  logger?: winston.Logger;
  definitions?: DefinitionRegistry;
  /** More ECL_* settings, e.g. ECL_BODY_LIMIT_BYTES. */
  env?: Record<string, string>;
}

/** An in-process `ecl serve` on an ephemeral port, over SQLite (or `store`) in a temporary folder. */
export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'ecl-api-'));
  const store = options.store ?? `sqlite:${join(dir, 'ecl.db')}`;
  const server = await startServer({
    env: {
      ...(options.keys === false ? {} : { ECL_API_KEYS: `${KEYS.acme.id}:${KEYS.acme.key}=acme,${KEYS.globex.id}:${KEYS.globex.key}=globex` }),
      ...options.env,
    },
    cwd: dir,
    flags: {
      store,
      port: 0,
      host: '127.0.0.1',
      artifactsDir: join(dir, 'artifacts'),
      // A postgres:// store keeps its read models in its own schema (and refuses a file).
      ...(/^postgres/i.test(store) ? {} : { projections: join(dir, 'projections.db') }),
      inspectPort: 0,
    },
    llm: { provider: createScriptedProvider({ script: options.script ?? OFFLINE_SCRIPT, env: {} }), description: 'LLM: scripted (test)' },
    logger: options.logger ?? winston.createLogger({ silent: true }),
    definitions: options.definitions ?? createSampleRegistry(),
    inspect: options.inspect === true,
  });
  // Every answer the e2e tests get is checked against the OpenAPI document this server serves.
  const check = createResponseChecker(await (await fetch(`${server.url}/openapi.json`)).json());
  const call: TestServer['call'] = async (method, path, { body, key = KEYS.acme.key } = {}) => {
    const headers: Record<string, string> = {};
    if (key !== null) headers.authorization = `Bearer ${key}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(server.url + path, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    const text = await response.text();
    const parsed = text === '' ? undefined : JSON.parse(text);
    check(method, path, response.status, response.headers.get('content-type'), parsed);
    return { status: response.status, body: parsed, headers: response.headers };
  };
  return {
    ...server,
    dir,
    call,
    async stop() {
      await server.close();
      if (options.dir === undefined) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Polls until `probe` returns a value (not undefined), for states reached asynchronously. */
export async function eventually<T>(probe: () => Promise<T | undefined>, what: string, limitMs = 20_000): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() - started > limitMs) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export const briefInput = (extra: Record<string, unknown> = {}) => ({
  instructions: 'Summarise the pilot in three sentences.',
  documents: [{ name: 'pilot.md', text: 'The pilot ran for six weeks. Adoption reached 72 percent. Support tickets fell by a third.' }],
  ...extra,
});
