import { Option, type Command } from 'commander';
import type { ApiClient } from '../../api/client/index.js';

export interface RemoteOptions {
  server?: string;
  apiKey?: string;
}

/** `--server <url>` / ECL_SERVER and `--api-key` / ECL_API_KEY: run the command against a running `ecl serve`. */
export const addRemoteOptions = (command: Command): Command =>
  command
    .addOption(new Option('--server <url>', 'send this command to a running `ecl serve` instead of opening the store (env ECL_SERVER)'))
    .addOption(new Option('--api-key <key>', 'API key for --server (env ECL_API_KEY)'));

/** The API client when a server is named by flag, env or ecl.config.json; undefined means work in-process. */
export async function remoteClientOf(options: RemoteOptions): Promise<ApiClient | undefined> {
  const [{ loadConfig }, { createApiClient }] = await Promise.all([import('../../config/index.js'), import('../../api/client/index.js')]);
  const { config } = loadConfig({ flags: { server: options.server, apiKey: options.apiKey } });
  if (config.server === undefined) return undefined;
  return createApiClient({ baseUrl: config.server, ...(config.apiKey === undefined ? {} : { apiKey: config.apiKey }) });
}
