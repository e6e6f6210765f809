import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/index.js';

const load = (env: Record<string, string>) => loadConfig({ env, cwd: '/nonexistent-ecl-dir' }).config;

describe('ECL_CORS_ORIGINS', () => {
  it('is off by default and a comma-separated list of exact origins', () => {
    expect(load({}).corsOrigins).toEqual([]);
    expect(load({ ECL_CORS_ORIGINS: '' }).corsOrigins).toEqual([]);
    expect(load({ ECL_CORS_ORIGINS: 'https://app.example.com, http://127.0.0.1:5173' }).corsOrigins).toEqual([
      'https://app.example.com',
      'http://127.0.0.1:5173',
    ]);
    expect(load({}).streamTokenTtlMs).toBe(60_000);
  });

  it('refuses a wildcard, a path, a trailing slash or another scheme, naming the variable', () => {
    for (const bad of ['*', 'https://app.example.com/', 'https://app.example.com/x', 'ftp://a.example', 'app.example.com']) {
      let error: unknown;
      try {
        load({ ECL_CORS_ORIGINS: bad });
      } catch (caught) {
        error = caught;
      }
      expect(error, bad).toBeInstanceOf(ConfigError);
      expect(String((error as Error).message), bad).toContain('ECL_CORS_ORIGINS');
    }
  });
});
