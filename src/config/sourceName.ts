import type { ConfigSource } from './errors.js';

/** Where a setting came from, as a person names it: the flag, the environment variable, or the file; undefined for a default. */
export const sourceName = (source: ConfigSource | undefined): string | undefined =>
  source === undefined || source.kind === 'default' ? undefined : source.kind === 'flag' ? source.flag : source.kind === 'env' ? source.variable : source.path;
