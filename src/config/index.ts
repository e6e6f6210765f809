export { ApiKeyEntry, CONFIG_KEYS, EclConfig, LOG_LEVELS, MIN_API_KEY_LENGTH, SECRET_KEYS, TenantName, envVariableOf, hostProblem } from './schema.js';
export type { EclConfigInput, EclConfigKey } from './schema.js';
export { CONFIG_FILE_NAME, loadConfig } from './loadConfig.js';
export type { LoadConfigOptions, LoadedConfig } from './loadConfig.js';
export { ConfigError, describeSource, isConfigError } from './errors.js';
export type { ConfigErrorCode, ConfigProblem, ConfigSource } from './errors.js';
export { deriveKeyId, parseApiKeys } from './apiKeys.js';
export { assertUsablePaths, configErrorOf, pathProblem } from './usablePaths.js';
export type { ConfiguredPath } from './usablePaths.js';
