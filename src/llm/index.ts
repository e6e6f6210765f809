export type { LlmCallContext, LlmMessage, LlmProvider, LlmRequest, LlmResult, LlmTool, LlmUsage } from './types.js';
export { LlmError, isCancelled, isLlmError, isRetryableLlmError } from './errors.js';
export type { LlmErrorCode } from './errors.js';
export { createOfflineProvider, OFFLINE_MODEL, OFFLINE_REVISION_FEEDBACK } from './offlineProvider.js';
export type { OfflineProviderOptions } from './offlineProvider.js';
export { createLlmProvider } from './createLlmProvider.js';
export type { CreateLlmProviderOptions, SelectedLlmProvider } from './createLlmProvider.js';
export { canonicalJson, hashPrompt, promptParts, toolJsonSchema } from './promptParts.js';
export type { PromptParts } from './promptParts.js';
