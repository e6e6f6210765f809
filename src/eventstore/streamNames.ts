/**
 * KurrentDB takes the text before the first `-` as a stream's category, so categories carry no dash.
 * Ids may carry a tenant prefix (`acme:invoice-42`); everything after the first dash is the id.
 */
export const WORKFLOW_CATEGORY = 'ecl.workflow';
export const workflowStream = (workflowId: string): string => `${WORKFLOW_CATEGORY}-${workflowId}`;
export const workflowIdOf = (stream: string): string | undefined =>
  stream.startsWith(`${WORKFLOW_CATEGORY}-`) ? stream.slice(WORKFLOW_CATEGORY.length + 1) : undefined;
