export { DEFAULT_INSPECT_PORT, InspectorRelayError, STATELY_INSPECTOR_URL, inspectorNotice, startInspectorRelay } from './startInspectorRelay.js';
export type { InspectorHandle, InspectorRelay, InspectorRelayOptions } from './startInspectorRelay.js';
export { createWorkflowInspection, inspectStore } from './inspectWorkflows.js';
export type { MachineResolver, WorkflowInspection } from './inspectWorkflows.js';
export { createInspection } from './createInspection.js';
export type { Inspection } from './createInspection.js';
export { PAGE_BUFFER_LIMIT, bridgePage } from './bridgePage.js';
