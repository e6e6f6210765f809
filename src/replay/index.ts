export { replayHistory } from './replayHistory.js';
export type { Divergence, ReplayHistoryOptions, ReplayResult, ReplayTransition } from './replayHistory.js';
export { replayWorkflow } from './replayWorkflow.js';
export type { ReplayWorkflowOptions } from './replayWorkflow.js';
export { formatReplay } from './formatReplay.js';
export { formatStateValue } from './formatStateValue.js';
