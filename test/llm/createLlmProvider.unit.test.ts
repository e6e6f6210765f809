import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLlmProvider, isLlmError } from '../../src/llm/index.js';

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('createLlmProvider', () => {
  it('defaults to offline without an API key and says why', () => {
    const selected = createLlmProvider(undefined, { env: {} });
    expect(selected.provider.name).toBe('offline');
    expect(selected.description).toBe('LLM: offline deterministic model (no ANTHROPIC_API_KEY set)');
  });

  it('lets ECL_LLM choose, and --llm override ECL_LLM', () => {
    expect(createLlmProvider(undefined, { env: { ECL_LLM: 'offline', ANTHROPIC_API_KEY: 'sk-test' } }).description).toBe(
      'LLM: offline deterministic model (ECL_LLM=offline)',
    );
    expect(createLlmProvider('offline', { env: { ECL_LLM: 'anthropic', ANTHROPIC_API_KEY: 'sk-test' } }).description).toBe(
      'LLM: offline deterministic model (--llm offline)',
    );
  });

  it('names where a spec the configuration resolved came from: the variable, the file, or --llm', () => {
    const from = (specFrom: string | undefined) => createLlmProvider('offline', { env: {}, specFrom }).description;
    expect(from('ECL_LLM')).toBe('LLM: offline deterministic model (ECL_LLM=offline)');
    expect(from('/srv/ecl.config.json')).toBe('LLM: offline deterministic model ("llm": "offline" in /srv/ecl.config.json)');
    expect(from('--llm')).toBe('LLM: offline deterministic model (--llm offline)');
    expect(from(undefined)).toBe('LLM: offline deterministic model (--llm offline)');
  });

  it('defaults to Anthropic when a key is set, naming the model', () => {
    const selected = createLlmProvider(undefined, { env: { ANTHROPIC_API_KEY: 'sk-test' } });
    expect(selected.provider.name).toBe('anthropic');
    expect(selected.description).toBe('LLM: Anthropic claude-sonnet-4-6 (ANTHROPIC_API_KEY is set)');
    vi.stubEnv('ANTHROPIC_API_KEY', undefined);
    vi.stubEnv('ANTHROPIC_AUTH_TOKEN', undefined);
    expect(createLlmProvider('anthropic', { env: {}, anthropic: { model: 'claude-haiku-4-5' } }).description).toBe(
      'LLM: Anthropic claude-haiku-4-5 (--llm anthropic; no ANTHROPIC_API_KEY set: its calls will fail)',
    );
  });

  it('rejects an unknown spec with a CONFIG error naming the choices', () => {
    const error = (() => {
      try {
        createLlmProvider('gpt', { env: {} });
      } catch (e) {
        return e;
      }
    })();
    expect(isLlmError(error) && error.code).toBe('CONFIG');
    expect((error as Error).message).toContain('offline, anthropic or script:<file>');
  });
});
