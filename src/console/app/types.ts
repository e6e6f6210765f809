// The shapes the console reads, as documented in /openapi.json (src/api/schemas.ts).

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonSchema = { [key: string]: unknown };

export const STATUSES = ['running', 'waiting', 'completed', 'failed', 'cancelled', 'blocked'] as const;

export interface WorkflowStatus {
  workflowId: string;
  definition: string;
  status: string;
  revision: number;
  version?: number;
  state?: Json;
  currentStep?: string | null;
  iterations?: Record<string, number>;
  createdAt?: string;
  updatedAt?: string;
  output?: Json;
  error?: Json;
  reason?: string | null;
  accepts?: string[];
  waitingFor?: { step: string; kind: string; signal?: string; timeoutAt?: string };
  wakeAt?: string;
  wakeReason?: string;
}

export interface WorkflowList {
  items: WorkflowStatus[];
  nextCursor: string | null;
}

export interface Usage {
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
  calls?: number;
}

export interface AuditEntry {
  revision: number;
  at: string;
  type: string;
  step: string | null;
  iteration: number | null;
  attempt: number | null;
  call: string | null;
  sender: string;
  verdict: string | null;
  feedback: string | null;
  model: string | null;
  inputTokens: number | null;
  outputTokens: number | null;
  costUsd: number | null;
  latencyMs: number | null;
  summary: string;
}

export interface Command {
  type: string;
  description?: string;
  dataSchema: JsonSchema;
}

export interface Definition {
  name: string;
  version: number;
  description?: string;
  inputSchema: JsonSchema;
  commands: Command[];
}

export interface StepStructure {
  name: string;
  kind: 'produce' | 'validate' | 'approval' | 'sleep' | 'signal' | 'route';
  validates?: string;
  revises?: string;
  signal?: string;
  to?: string[];
  maxLoops?: number;
}

export interface HistoryRevision {
  revision: number;
  type: string;
  at: string;
  sender: string;
  step: string | null;
  state: Json;
  status: string;
  currentStep: string | null;
  iterations: Record<string, number>;
  outputs: Record<string, Json>;
  output?: Json;
  usage: Usage;
}

export interface History {
  workflowId: string;
  definition: string;
  version: number;
  lastRevision: number;
  steps: StepStructure[];
  revisions: HistoryRevision[];
  divergence?: { revision: number; reason: string };
}
