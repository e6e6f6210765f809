export type { LlmCallContext, LlmMessage, LlmProvider, LlmRequest, LlmResult, LlmTool, LlmUsage } from './types.js';
export { LlmError, isCancelled, isLlmError, isRetryableLlmError } from './errors.js';
export type { LlmErrorCode } from './errors.js';
