// The shapes the console reads: the types generated from /openapi.json (src/api/client/openapi.ts), so the two cannot drift.
import type { components } from '../../api/client/index.js';

type Schemas = components['schemas'];

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonSchema = { [key: string]: unknown };

export const STATUSES = ['running', 'waiting', 'completed', 'failed', 'cancelled', 'blocked'] as const;

export type WorkflowStatus = Schemas['WorkflowStatus'];
export type WorkflowList = Schemas['WorkflowList'];
export type AuditEntry = Schemas['AuditEntry'];
export type Descendant = Schemas['Descendant'];
export type Definition = Schemas['Definition'];
export type Command = Definition['commands'][number];
export type StepStructure = Schemas['StepStructure'];
export type History = Schemas['WorkflowHistory'];
export type HistoryRevision = History['revisions'][number];
export type Usage = Schemas['WorkflowUsage']['workflows'][string];
