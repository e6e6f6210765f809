import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import winston from 'winston';
import { startServer, type RunningServer } from '../../../src/api/index.js';
import { createScriptedProvider } from '../../../src/llm/index.js';
import { createSampleRegistry } from '../../support/definitions.js';
import { KEYS, OFFLINE_SCRIPT } from './testServer.js';

export interface BrowserServer extends RunningServer {
  stop(): Promise<void>;
}

/** `ecl serve` on an ephemeral 127.0.0.1 port with the test keys and the given CORS origins. */
export async function startBrowserServer(corsOrigins: readonly string[]): Promise<BrowserServer> {
  const dir = mkdtempSync(join(tmpdir(), 'ecl-cors-'));
  const server = await startServer({
    env: { ECL_API_KEYS: `${KEYS.acme.id}:${KEYS.acme.key}=acme,${KEYS.globex.id}:${KEYS.globex.key}=globex` },
    cwd: dir,
    flags: {
      store: `sqlite:${join(dir, 'ecl.db')}`,
      port: 0,
      host: '127.0.0.1',
      artifactsDir: join(dir, 'artifacts'),
      projections: join(dir, 'projections.db'),
      inspectPort: 0,
      corsOrigins,
    },
    llm: { provider: createScriptedProvider({ script: OFFLINE_SCRIPT, env: {} }), description: 'LLM: scripted (test)' },
    logger: winston.createLogger({ silent: true }),
    definitions: createSampleRegistry(),
    inspect: false,
  });
  return {
    ...server,
    async stop() {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
