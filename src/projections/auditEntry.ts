import type { JsonValue } from '../eventstore/index.js';
import { callPath } from '../machines/index.js';
import type { DecodedEvent } from './decodeEvent.js';

/** One readable line of a workflow's history: enough to answer "why did it do that". */
export interface AuditEntry {
  workflowId: string;
  revision: number;
  position: number;
  at: string;
  type: string;
  step: string | null;
  iteration: number | null;
  attempt: number | null;
  /** A journaled call's name (`CallCompleted` only); a fan-out item's call under its item's, `doc/3/fetch`. */
  call: string | null;
  sender: string;
  verdict: string | null;
  feedback: string | null;
  model: string | null;
  inputTokens: number | null;
  outputTokens: number | null;
  costUsd: number | null;
  latencyMs: number | null;
  promptHash: string | null;
  /** Payload version as stored (before upcasting). */
  payloadVersion: number;
  summary: string;
}

const collapse = (text: string): string => text.replace(/\s+/g, ' ').trimStart();

/**
 * One line, at most `max` characters: a summary never spans lines, whatever the output holds.
 * Collapsing whitespace only shortens text, so a long output is collapsed a window at a time
 * until the window alone overflows the line: the rest cannot change what is shown.
 */
const preview = (value: JsonValue, max = 80): string => {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  for (let window = max * 2; ; window *= 4) {
    if (window >= text.length) {
      const line = collapse(text).trimEnd();
      return line.length > max ? `${line.slice(0, max - 1)}…` : line;
    }
    const line = collapse(text.slice(0, window));
    if (line.length > max) return `${line.slice(0, max - 1)}…`;
  }
};

/** `, 2.5 s late` when a timer fired more than a second after it was due (e.g. the process was down), else nothing. */
function lateness(due: string, at: string): string {
  const late = Date.parse(at) - Date.parse(due);
  if (!(late > 1000)) return '';
  return late < 120_000 ? `, ${(late / 1000).toFixed(1)} s late` : `, ${Math.round(late / 60_000)} min late`;
}

/** A review step's output carries `verdict` and `feedback`; other outputs do not. */
function reviewOf(output: JsonValue): { verdict: string | null; feedback: string | null } {
  if (typeof output !== 'object' || output === null || Array.isArray(output)) return { verdict: null, feedback: null };
  return {
    verdict: typeof output.verdict === 'string' ? output.verdict : null,
    feedback: typeof output.feedback === 'string' ? output.feedback : null,
  };
}

/** A model call's recorded output is `{ text, output?, stopReason? }`: show the structured output, else the text. */
function callOutput(kind: 'run' | 'complete', output: JsonValue): JsonValue {
  if (kind !== 'complete' || typeof output !== 'object' || output === null || Array.isArray(output)) return output;
  return output.output ?? output.text ?? null;
}

function withAttempt(entry: AuditEntry, data: { step: string; iteration: number; attempt: number }): void {
  entry.step = data.step;
  entry.iteration = data.iteration;
  entry.attempt = data.attempt;
}

function withLlm(
  entry: AuditEntry,
  llm: { model: string; inputTokens: number; outputTokens: number; costUsd: number; latencyMs: number; promptHash: string } | undefined,
): void {
  if (llm === undefined) return;
  entry.model = llm.model;
  entry.inputTokens = llm.inputTokens;
  entry.outputTokens = llm.outputTokens;
  entry.costUsd = llm.costUsd;
  entry.latencyMs = llm.latencyMs;
  entry.promptHash = llm.promptHash;
}

/** Built field by field (no spread or `Object.assign` temporaries): the audit model builds one per event it projects. */
export function auditEntryOf({ workflowId, revision, position, event, metadata, storedVersion }: DecodedEvent): AuditEntry {
  const entry: AuditEntry = {
    workflowId,
    revision,
    position: Number(position),
    at: metadata.at,
    type: event.type,
    step: metadata.step ?? null,
    iteration: metadata.iteration ?? null,
    attempt: metadata.attempt ?? null,
    call: null,
    sender: metadata.sender,
    verdict: null,
    feedback: null,
    model: null,
    inputTokens: null,
    outputTokens: null,
    costUsd: null,
    latencyMs: null,
    promptHash: null,
    payloadVersion: storedVersion,
    summary: '',
  };
  switch (event.type) {
    case 'WorkflowStarted':
      entry.summary = `started ${event.data.definition} v${event.data.version}`;
      // A child workflow names where it came from; its parent's call records the child's id.
      if (event.data.parent !== undefined)
        entry.summary += ` as a child of ${event.data.parent.workflowId} (step ${event.data.parent.step}, call "${event.data.parent.call}")`;
      break;
    case 'StepStarted':
      withAttempt(entry, event.data);
      entry.summary = `${event.data.step} started`;
      break;
    case 'StepCompleted': {
      withAttempt(entry, event.data);
      const review = reviewOf(event.data.output);
      entry.verdict = review.verdict;
      entry.feedback = review.feedback;
      withLlm(entry, event.data.llm);
      const what =
        entry.verdict !== null
          ? `verdict ${entry.verdict}`
          : event.data.artifact !== undefined
            ? `artifact ${event.data.artifact.hash.slice(0, 12)} (${event.data.artifact.bytes} bytes)`
            : preview(event.data.output);
      entry.summary = `${event.data.step} completed: ${what}`;
      break;
    }
    case 'StepFailed': {
      withAttempt(entry, event.data);
      withLlm(entry, event.data.llm);
      const { error, retryAt } = event.data;
      // A recorded attempt: the step stays running and the next attempt starts at `retryAt`.
      entry.summary =
        retryAt === undefined
          ? `${event.data.step} failed: ${error.code}: ${error.message}${error.retryable ? ' (retryable)' : ''}`
          : `${event.data.step} attempt ${event.data.attempt} failed: ${error.code}: ${error.message} — retry at ${retryAt}`;
      break;
    }
    case 'CallCompleted': {
      withAttempt(entry, event.data);
      withLlm(entry, event.data.llm);
      entry.call = callPath(event.data);
      const { step, kind, seq, call, item, fanOut } = event.data;
      const made = kind === 'complete' ? 'model call' : 'call';
      // A step's calls are numbered in its run; an item's by their name only (they are numbered in the item's own run).
      const what =
        item !== undefined
          ? `${step} item "${item}" ${made} "${call}"`
          : fanOut !== undefined
            ? `${step} item "${call}" (fan-out "${fanOut.name}" of ${fanOut.items})`
            : `${step} ${made} ${seq + 1} "${call}"`;
      const { error, output } = event.data;
      if (error !== undefined) entry.summary = `${what} failed: ${error.code}: ${error.message}${error.retryable ? ' (retryable)' : ''}`;
      else entry.summary = `${what} returned: ${preview(callOutput(event.data.kind, output ?? null))}`;
      break;
    }
    case 'RevisionRequested':
      entry.step = event.data.step;
      entry.iteration = event.data.iteration;
      entry.verdict = event.data.verdict;
      entry.feedback = event.data.feedback;
      entry.summary = `${event.data.by} sent ${event.data.step} back for revision`;
      break;
    case 'IterationCapReached':
      entry.step = event.data.step;
      entry.iteration = event.data.iterations;
      entry.summary = `${event.data.step} reached its cap (${event.data.iterations}/${event.data.maxIterations}); policy ${event.data.policy}`;
      break;
    case 'BudgetExceeded':
      entry.step = event.data.step;
      entry.summary = `${event.data.step} exceeded its ${event.data.limit} budget (${event.data.used}/${event.data.max}); policy ${event.data.policy}`;
      break;
    case 'HumanInputRequested':
      entry.step = event.data.step;
      entry.summary = `waiting for a human at ${event.data.step}: ${event.data.reason} (accepts ${event.data.accepts.join(', ')})`;
      break;
    case 'HumanDecisionReceived':
      entry.step = event.data.step;
      entry.verdict = event.data.decision;
      entry.feedback = event.data.feedback ?? null;
      entry.summary = `human decided ${event.data.decision} at ${event.data.step}${event.data.note === undefined ? '' : `, note: ${JSON.stringify(event.data.note)}`}`;
      break;
    case 'SleepStarted':
      entry.step = event.data.step;
      entry.summary = `${event.data.step} sleeps until ${event.data.until}`;
      break;
    case 'SleepEnded':
      entry.step = event.data.step;
      entry.summary = `${event.data.step} woke: slept until ${event.data.until}${lateness(event.data.until, metadata.at)}`;
      break;
    case 'SignalAwaited':
      entry.step = event.data.step;
      entry.summary = `${event.data.step} waits for signal ${event.data.signal} ${event.data.timeoutAt === undefined ? '(no timeout)' : `until ${event.data.timeoutAt}`}`;
      break;
    case 'SignalReceived':
      entry.step = event.data.step;
      entry.summary = `signal ${event.data.signal} received at ${event.data.step}: ${preview(event.data.data)}`;
      break;
    case 'SignalTimedOut':
      entry.step = event.data.step;
      entry.summary = `signal ${event.data.signal} timed out at ${event.data.timeoutAt} → ${event.data.policy === 'fail' ? 'fail' : 'continue (output null)'}`;
      break;
    case 'RouteChosen': {
      entry.step = event.data.step;
      const { chose, to, loops } = event.data;
      // The event does not say whether this choice was itself a loop back: `loops` counts them all so far.
      entry.summary =
        event.data.capReached === true
          ? `route ${event.data.step} chose ${chose}, but its cap of ${loops} loop${loops === 1 ? '' : 's'} is reached → continues at ${to}`
          : `route ${event.data.step} chose ${chose}${loops === 0 ? '' : ` (loops so far: ${loops})`}`;
      break;
    }
    case 'WorkflowCompleted':
      entry.summary =
        event.data.artifact !== undefined
          ? `completed: artifact ${event.data.artifact.path ?? event.data.artifact.hash.slice(0, 12)}`
          : `completed: ${preview(event.data.output)}`;
      break;
    case 'WorkflowFailed':
      entry.summary = `failed: ${event.data.reason}${event.data.error === undefined || event.data.reason.includes(event.data.error.code) ? '' : ` (${event.data.error.code})`}`;
      break;
    case 'WorkflowCancelled':
      entry.summary = `cancelled: ${event.data.reason}`;
      break;
  }
  return entry;
}
