export { loadWorkflowModules } from './loadWorkflowModules.js';
export type { LoadWorkflowModulesOptions, LoadedWorkflowModules } from './loadWorkflowModules.js';
export { WorkflowModuleError, isWorkflowModuleError } from './workflowModuleError.js';
export type { WorkflowModuleErrorCode } from './workflowModuleError.js';
export { watchWorkflowModules } from './watchWorkflowModules.js';
export type { WatchedWorkflowModules } from './watchWorkflowModules.js';
