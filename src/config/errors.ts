export type ConfigErrorCode = 'INVALID_CONFIG' | 'CONFIG_FILE_UNREADABLE';

/** Where a configuration value came from: a default, the config file, an `ECL_*` variable or a flag. */
export type ConfigSource = { kind: 'default' } | { kind: 'file'; path: string } | { kind: 'env'; variable: string } | { kind: 'flag'; flag: string };

export interface ConfigProblem {
  /** The configuration key, e.g. `port` or `apiKeys[1].tenant`. */
  key: string;
  /** The offending value as given (secrets shown as `<redacted>`). */
  value: string;
  source: ConfigSource;
  message: string;
}

export const describeSource = (source: ConfigSource): string => {
  switch (source.kind) {
    case 'default':
      return 'the default';
    case 'file':
      return `the config file ${source.path}`;
    case 'env':
      return `the environment variable ${source.variable}`;
    case 'flag':
      return `the flag ${source.flag}`;
  }
};

/** A configuration that cannot be used: names every bad key, its value and where it came from. */
export class ConfigError extends Error {
  readonly code: ConfigErrorCode;
  readonly problems: readonly ConfigProblem[];

  constructor(code: ConfigErrorCode, problems: readonly ConfigProblem[], options?: { cause?: unknown }) {
    super(problems.map((p) => `${p.key}=${p.value} (from ${describeSource(p.source)}): ${p.message}`).join('\n'), options);
    this.name = 'ConfigError';
    this.code = code;
    this.problems = problems;
  }
}

export const isConfigError = (error: unknown): error is ConfigError =>
  typeof error === 'object' &&
  error !== null &&
  (error as { name?: unknown }).name === 'ConfigError' &&
  Array.isArray((error as { problems?: unknown }).problems);
