import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { ApiKeysSyntaxError, normalizeApiKeys } from './apiKeys.js';
import { ConfigError, type ConfigProblem, type ConfigSource } from './errors.js';
import { CONFIG_KEYS, EclConfig, type EclConfigInput, type EclConfigKey, envVariableOf } from './schema.js';

export const CONFIG_FILE_NAME = 'ecl.config.json';

export interface LoadConfigOptions {
  /** Defaults to `process.env`. */
  env?: Record<string, string | undefined>;
  /** Where `ecl.config.json` is looked for; defaults to `process.cwd()`. */
  cwd?: string;
  /** An explicit config file (must exist); otherwise `ECL_CONFIG`, then `<cwd>/ecl.config.json` if present. */
  file?: string;
  /** Command-line flags: they win over everything. Undefined values are ignored. */
  flags?: Partial<Record<EclConfigKey, unknown>>;
}

export interface LoadedConfig {
  config: EclConfig;
  /** Where each key's value came from, for `ecl serve`'s banner and for errors. */
  sources: Record<EclConfigKey, ConfigSource>;
  /** The config file read, if any. */
  file?: string;
}

/** Keys whose schema is a number (an env value of digits is read as one), derived from the schema. */
const NUMBER_KEYS: ReadonlySet<EclConfigKey> = new Set(CONFIG_KEYS.filter((key) => acceptsNumber(EclConfig.shape[key])));

/**
 * `ECL_*` variables for which an empty value means "none", as unset: lists. Any other empty
 * variable is refused, so `ECL_STORE=` from a template that expanded to nothing cannot quietly
 * send the log to the default file.
 */
const EMPTY_MEANS_UNSET: ReadonlySet<EclConfigKey> = new Set(['workflows', 'apiKeys', 'corsOrigins']);

function acceptsNumber(schema: z.ZodType): boolean {
  if (schema instanceof z.ZodNumber) return true;
  if (schema instanceof z.ZodDefault || schema instanceof z.ZodOptional) return acceptsNumber(schema.unwrap() as z.ZodType);
  if (schema instanceof z.ZodUnion) return (schema.options as readonly z.ZodType[]).some(acceptsNumber);
  return false;
}

/** Builds the one validated configuration: defaults < file < `ECL_*` env < flags. */
export function loadConfig(options: LoadConfigOptions = {}): LoadedConfig {
  const env = options.env ?? process.env;
  const raw: Record<string, unknown> = {};
  const sources = Object.fromEntries(CONFIG_KEYS.map((key) => [key, { kind: 'default' }])) as Record<EclConfigKey, ConfigSource>;
  const problems: ConfigProblem[] = [];
  // Each layer's value is checked on its own, so a bad value is reported even when a later layer overrides it.
  const set = (key: string, value: unknown, source: ConfigSource) => {
    try {
      raw[key] = key === 'apiKeys' ? normalizeApiKeys(value) : value;
    } catch (error) {
      if (!(error instanceof ApiKeysSyntaxError)) throw error;
      problems.push({ key, value: '<redacted>', source, message: error.message });
      return;
    }
    sources[key as EclConfigKey] = source;
    const schema = (EclConfig.shape as Record<string, z.ZodType | undefined>)[key];
    const checked = schema?.safeParse(raw[key]);
    if (checked !== undefined && !checked.success) {
      for (const issue of checked.error.issues) problems.push(toProblem({ ...issue, path: [key, ...issue.path] } as z.core.$ZodIssue, raw, sources));
    }
  };

  const cwd = options.cwd ?? process.cwd();
  const file = chooseFile(options, env);
  if (file !== undefined) {
    const source: ConfigSource = { kind: 'file', path: file };
    for (const [key, value] of Object.entries(readConfigFile(file))) set(key, key === 'workflows' ? resolvePaths(value, dirname(file)) : value, source);
  }
  for (const key of CONFIG_KEYS) {
    const variable = envVariableOf(key);
    const text = env[variable];
    if (text === undefined || (text.trim() === '' && EMPTY_MEANS_UNSET.has(key))) continue;
    if (text.trim() === '') {
      problems.push({
        key,
        value: JSON.stringify(text),
        source: { kind: 'env', variable },
        message: `is empty: unset ${variable} to use the default, or give a value`,
      });
      continue;
    }
    const value =
      key === 'workflows'
        ? resolvePaths(splitList(text), cwd)
        : key === 'corsOrigins'
          ? splitList(text)
          : NUMBER_KEYS.has(key) && /^-?\d+$/.test(text.trim())
            ? Number(text.trim())
            : text;
    set(key, value, { kind: 'env', variable });
  }
  for (const [key, value] of Object.entries(options.flags ?? {})) {
    if (value !== undefined)
      set(key, key === 'workflows' ? resolvePaths(value, cwd) : value, { kind: 'flag', flag: `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}` });
  }
  const parsed = EclConfig.safeParse(raw as EclConfigInput);
  if (!parsed.success) {
    // Unknown keys and rules across keys; a value already reported by its own layer is not repeated.
    const seen = new Set(problems.map(problemKey));
    for (const problem of parsed.error.issues.map((issue) => toProblem(issue, raw, sources))) if (!seen.has(problemKey(problem))) problems.push(problem);
  }
  if (problems.length > 0 || !parsed.success) throw new ConfigError('INVALID_CONFIG', problems);
  const duplicate = findDuplicateKey(parsed.data);
  if (duplicate !== undefined) {
    throw new ConfigError('INVALID_CONFIG', [
      { key: duplicate, value: '<redacted>', source: sources.apiKeys, message: 'API key ids and secrets must be unique' },
    ]);
  }
  return file === undefined ? { config: parsed.data, sources } : { config: parsed.data, sources, file };
}

const problemKey = (problem: ConfigProblem): string => `${problem.key}\u0000${JSON.stringify(problem.source)}\u0000${problem.message}`;

const splitList = (text: string): string[] =>
  text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');

/** Module paths are taken from where they were written: the config file's folder, else the working directory. */
const resolvePaths = (value: unknown, base: string): unknown =>
  Array.isArray(value) ? value.map((item: unknown) => (typeof item === 'string' && item !== '' ? resolve(base, item) : item)) : value;

function chooseFile(options: LoadConfigOptions, env: Record<string, string | undefined>): string | undefined {
  const cwd = options.cwd ?? process.cwd();
  const explicit = options.file ?? (env.ECL_CONFIG === '' ? undefined : env.ECL_CONFIG);
  if (explicit !== undefined) return resolve(cwd, explicit);
  const implicit = resolve(cwd, CONFIG_FILE_NAME);
  return existsSync(implicit) ? implicit : undefined;
}

function readConfigFile(path: string): Record<string, unknown> {
  const source: ConfigSource = { kind: 'file', path };
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new ConfigError('CONFIG_FILE_UNREADABLE', [{ key: '(file)', value: path, source, message: `cannot be read: ${(cause as Error).message}` }], {
      cause,
    });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new ConfigError('CONFIG_FILE_UNREADABLE', [{ key: '(file)', value: path, source, message: `is not valid JSON: ${(cause as Error).message}` }], {
      cause,
    });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ConfigError('INVALID_CONFIG', [{ key: '(file)', value: path, source, message: 'must hold one JSON object' }]);
  }
  return value as Record<string, unknown>;
}

function toProblem(issue: z.core.$ZodIssue, raw: Record<string, unknown>, sources: Record<EclConfigKey, ConfigSource>): ConfigProblem {
  const [top, ...rest] = issue.path;
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0] ?? '?';
    const source = raw[key] === undefined ? ({ kind: 'default' } as const) : (sources[key as EclConfigKey] ?? { kind: 'default' });
    return { key, value: show(key, raw[key], []), source, message: `is not a configuration key (known keys: ${CONFIG_KEYS.join(', ')})` };
  }
  const key = String(top ?? '(config)');
  const value = rest.reduce<unknown>(
    (at, segment) => (typeof at === 'object' && at !== null ? (at as Record<PropertyKey, unknown>)[segment as PropertyKey] : undefined),
    raw[key],
  );
  const path = key + rest.map((segment) => (typeof segment === 'number' ? `[${segment}]` : `.${String(segment)}`)).join('');
  return { key: path, value: show(key, value, rest), source: sources[key as EclConfigKey] ?? { kind: 'default' }, message: issue.message };
}

function show(key: string, value: unknown, rest: readonly PropertyKey[]): string {
  const secret = key === 'apiKey' || (key === 'apiKeys' && (rest.length < 2 || rest[rest.length - 1] === 'key'));
  if (secret && value !== undefined) return '<redacted>';
  const text = value === undefined ? 'undefined' : JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function findDuplicateKey(config: EclConfig): string | undefined {
  const ids = new Set<string>();
  const secrets = new Set<string>();
  for (const [index, entry] of config.apiKeys.entries()) {
    if (ids.has(entry.id) || secrets.has(entry.key)) return `apiKeys[${index}]`;
    ids.add(entry.id);
    secrets.add(entry.key);
  }
  return undefined;
}
