import type { Logger } from 'winston';
import { createAnthropicProvider, type AnthropicProviderOptions } from './anthropic/anthropicProvider.js';
import { LlmError } from './errors.js';
import type { LlmPolicyStats } from './llmPolicy.js';
import { createOfflineProvider, type OfflineProviderOptions } from './offlineProvider.js';
import { createScriptedProvider, type ScriptedProviderOptions } from './scriptedProvider.js';
import type { LlmProvider } from './types.js';

/** Options of {@link createLlmProvider}: per-provider options, used when that provider is chosen. */
export interface CreateLlmProviderOptions {
  /** Defaults to `process.env`; read for `ECL_LLM` and `ANTHROPIC_API_KEY`. */
  env?: Record<string, string | undefined>;
  /** Passed to the Anthropic provider. */
  logger?: Logger;
  /** For `offline`. */
  offline?: OfflineProviderOptions;
  /** For `anthropic`; win over `env`'s key and base URL. */
  anthropic?: AnthropicProviderOptions;
  /** For `script:<file>` (the file comes from the spec). */
  scripted?: Omit<ScriptedProviderOptions, 'file' | 'script' | 'env'>;
  /**
   * Where `spec` came from, for the description: `'--llm'` (the default), an environment
   * variable's name (`'ECL_LLM'`), or a configuration file's path.
   */
  specFrom?: string | undefined;
}

/** The provider `createLlmProvider` chose, and how to describe it. */
export interface SelectedLlmProvider {
  /** Pass it as `EngineOptions.llm`. */
  provider: LlmProvider;
  /** One line for people, e.g. `LLM: offline deterministic model (no ANTHROPIC_API_KEY set)`; never holds the key. */
  description: string;
  /** Breaker state and counters (Anthropic only), for /metrics. */
  stats?: () => LlmPolicyStats;
}

/**
 * Chooses the provider: `spec` (from `--llm`) wins, then `ECL_LLM`, then `anthropic` when
 * `ANTHROPIC_API_KEY` is set, else `offline`. Specs: `offline`, `anthropic`, `script:<file>`.
 * Throws `LlmError` `CONFIG` for an unknown spec, `script:` without a file, or a script that
 * cannot be read or is invalid. Nothing is called yet.
 */
export function createLlmProvider(spec: string | undefined, options: CreateLlmProviderOptions = {}): SelectedLlmProvider {
  const env = options.env ?? process.env;
  const hasKey = (env.ANTHROPIC_API_KEY ?? '') !== '';
  const explicit = nonEmpty(spec) ?? nonEmpty(env.ECL_LLM);
  const chosen = explicit ?? (hasKey ? 'anthropic' : 'offline');
  const why =
    nonEmpty(spec) !== undefined
      ? specOrigin(chosen, options.specFrom)
      : explicit !== undefined
        ? `ECL_LLM=${chosen}`
        : hasKey
          ? 'ANTHROPIC_API_KEY is set'
          : 'no ANTHROPIC_API_KEY set';

  if (chosen === 'offline') {
    return { provider: createOfflineProvider(options.offline), description: `LLM: offline deterministic model (${why})` };
  }
  if (chosen.startsWith('script:')) {
    const file = chosen.slice('script:'.length);
    if (file === '') throw new LlmError('CONFIG', 'The LLM spec "script:" needs a file, e.g. script:answers.json');
    const provider = createScriptedProvider({ ...options.scripted, file, env });
    return { provider, description: `LLM: scripted answers from ${file} (${why})` };
  }
  if (chosen === 'anthropic') {
    // The SDK reads ANTHROPIC_API_KEY / ANTHROPIC_BASE_URL from process.env itself; only an explicit env is passed on.
    const fromEnv =
      options.env === undefined
        ? {}
        : { ...(env.ANTHROPIC_API_KEY && { apiKey: env.ANTHROPIC_API_KEY }), ...(env.ANTHROPIC_BASE_URL && { baseURL: env.ANTHROPIC_BASE_URL }) };
    const provider = createAnthropicProvider({ ...fromEnv, ...options.anthropic, ...(options.logger !== undefined && { logger: options.logger }) });
    const baseUrl = options.anthropic?.baseURL ?? env.ANTHROPIC_BASE_URL;
    const where = baseUrl ? ` at ${baseUrl}` : '';
    // Said at the start, not at the first call: a run begun without a key fails there, for good.
    // The SDK also looks in process.env when the env given has no key.
    const keys = [env.ANTHROPIC_API_KEY, env.ANTHROPIC_AUTH_TOKEN, process.env.ANTHROPIC_API_KEY, process.env.ANTHROPIC_AUTH_TOKEN, options.anthropic?.apiKey];
    const keyless = keys.every((value) => (value ?? '') === '') ? '; no ANTHROPIC_API_KEY set: its calls will fail' : '';
    return { provider, description: `LLM: Anthropic ${provider.model}${where} (${why}${keyless})`, stats: () => provider.stats() };
  }
  throw new LlmError('CONFIG', `Unknown LLM provider "${chosen}". Use offline, anthropic or script:<file>.`);
}

const nonEmpty = (value: string | undefined): string | undefined => (value === undefined || value.trim() === '' ? undefined : value.trim());

const specOrigin = (spec: string, from = '--llm'): string =>
  from === '--llm' ? `--llm ${spec}` : /^[A-Z][A-Z0-9_]*$/.test(from) ? `${from}=${spec}` : `"llm": "${spec}" in ${from}`;
