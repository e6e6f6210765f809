export {
  TENANT_PATTERN,
  TENANT_RULE,
  TENANT_SEPARATOR,
  WORKFLOW_ID_PATTERN,
  WORKFLOW_ID_RULE,
  isWorkflowId,
  scopedWorkflowId,
  workflowIdProblem,
} from './workflowId.js';
export { DEFAULT_MAX_JSON_DEPTH, checkJsonText, formatJsonPath } from './jsonText.js';
export type { JsonPathSegment, JsonTextLimits, JsonTextProblem } from './jsonText.js';
