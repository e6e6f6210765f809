import type { EngineEvent } from '../actors/index.js';
import { callPath, type WorkflowEvent } from '../machines/index.js';

type Transition = Extract<EngineEvent, { kind: 'transition' }>;

const STEP_WIDTH = 10;
const WHAT_WIDTH = 12;

/** The step column's width for a workflow with these step names: 10, or the longest name when longer. */
export const stepColumnWidth = (steps: Iterable<string>): number => Math.max(STEP_WIDTH, ...[...steps].map((step) => step.length));

const textOf = (value: unknown): string => (typeof value === 'string' ? value : value === undefined || value === null ? '' : JSON.stringify(value));
/** A signal's data: a string quoted, JSON as it is; both cut at 60 characters. */
const dataOf = (value: unknown): string => {
  if (typeof value === 'string') return quote(value, 60);
  const json = textOf(value);
  return json.length > 60 ? `${json.slice(0, 59)}…` : json;
};
const quote = (text: string, max = 72): string => `"${text.length > max ? `${text.slice(0, max - 1)}…` : text}"`;
const lineOf = (stepWidth: number, step: string, iteration: number | undefined, what: string, detail = ''): string =>
  `  ${step.padEnd(stepWidth)} ${iteration === undefined ? '   ' : `#${String(iteration).padEnd(2)}`} ${what.padEnd(WHAT_WIDTH)} ${detail}`.trimEnd();

/**
 * Tokens, cost and time of what a step or call spent on the model. The time is the step's (or
 * call's) own wall time when recorded: the model calls' summed latency exceeds it once they ran
 * side by side (a fan-out).
 */
function cost(llm: { inputTokens: number; outputTokens: number; costUsd: number; latencyMs: number } | undefined, durationMs?: number): string {
  if (llm === undefined) return '';
  return `${(llm.inputTokens + llm.outputTokens).toLocaleString('en-US')} tok  $${llm.costUsd.toFixed(4)}  ${((durationMs ?? llm.latencyMs) / 1000).toFixed(1)}s`;
}

/**
 * One aligned line per recorded transition, for `--follow`; undefined for what people need not
 * see. `previous`: the workflow's event before this one, when known (it tells a retry from a re-run).
 * `stepWidth`: the step column's width (see `stepColumnWidth`), the same for every line of a workflow.
 */
export function formatTransition(transition: Transition, previous?: WorkflowEvent, stepWidth = STEP_WIDTH): string | undefined {
  const { event } = transition;
  const line = (step: string, iteration: number | undefined, what: string, detail?: string): string => lineOf(stepWidth, step, iteration, what, detail);
  switch (event.type) {
    case 'WorkflowStarted':
      return line('workflow', undefined, 'started', `${event.data.definition} v${event.data.version}`);
    case 'StepStarted': {
      // After a recorded failed attempt, the next one is its retry; otherwise a re-run found no outcome (a crash).
      const retry = previous?.type === 'StepFailed' && previous.data.retryAt !== undefined && previous.data.step === event.data.step;
      return line(
        event.data.step,
        event.data.iteration,
        'started',
        event.data.attempt <= 1 ? '' : retry ? `attempt ${event.data.attempt} (retry)` : `attempt ${event.data.attempt} (the previous one has no outcome)`,
      );
    }
    case 'StepCompleted': {
      const output = event.data.output as { verdict?: unknown; feedback?: unknown } | null;
      if (typeof output === 'object' && output !== null && (output.verdict === 'approve' || output.verdict === 'revise')) {
        return line(event.data.step, event.data.iteration, output.verdict, `${quote(textOf(output.feedback))}  ${cost(event.data.llm, event.data.durationMs)}`);
      }
      const where = event.data.artifact?.path === undefined ? '' : `→ ${event.data.artifact.path}  `;
      return line(event.data.step, event.data.iteration, 'done', `${where}${cost(event.data.llm, event.data.durationMs)}`);
    }
    case 'StepFailed':
      // A recorded attempt whose retry is due at `retryAt`: the step is still running.
      return event.data.retryAt === undefined
        ? line(event.data.step, event.data.iteration, 'failed', `${event.data.error.code}: ${event.data.error.message}`)
        : line(
            event.data.step,
            event.data.iteration,
            'retrying',
            `attempt ${event.data.attempt} failed (${event.data.error.code}: ${event.data.error.message}); retrying at ${event.data.retryAt}`,
          );
    case 'CallCompleted': {
      // A journaled call inside the step; its tokens and cost are totalled again on the step's own line.
      const { error, llm, durationMs, fanOut, item } = event.data;
      const outcome = error === undefined ? '' : `failed ${error.code}  `;
      // An item's outcome (`item "doc/3" · 20 items`), an item's own call (`call "doc/3/fetch"`), a step's call in its run (`call 2 "fetch"`).
      const label = fanOut !== undefined ? 'item' : item !== undefined ? 'call' : `call ${event.data.seq + 1}`;
      const of = fanOut === undefined ? '' : ` · ${fanOut.items} items`;
      return line(event.data.step, event.data.iteration, label, `${quote(callPath(event.data), 40)}${of}  ${outcome}${cost(llm, durationMs)}`);
    }
    case 'RevisionRequested':
      return line(event.data.step, event.data.iteration + 1, 'revise', `requested by ${event.data.by}`);
    case 'IterationCapReached':
      return line(
        event.data.step,
        event.data.iterations,
        'cap reached',
        `${event.data.iterations} of ${event.data.maxIterations} iterations → ${event.data.policy}`,
      );
    case 'BudgetExceeded':
      return line(event.data.step, undefined, 'over budget', `${event.data.used} ${event.data.limit} > ${event.data.max} → ${event.data.policy}`);
    case 'HumanInputRequested':
      return line(event.data.step, undefined, 'waiting', `${event.data.reason} [${event.data.accepts.join(', ')}]`);
    case 'HumanDecisionReceived': {
      const said = event.data.feedback ?? event.data.note;
      return line(
        event.data.step,
        undefined,
        event.data.decision.replace('_', ' '),
        `${said === undefined ? '' : `${quote(said)} `}(by ${transition.metadata.sender})`,
      );
    }
    case 'SleepStarted':
      return line(event.data.step, undefined, 'sleeping', `until ${event.data.until}`);
    case 'SleepEnded':
      return line(event.data.step, undefined, 'woke', `(timer, due ${event.data.until})`);
    case 'SignalAwaited':
      return line(
        event.data.step,
        undefined,
        'waiting',
        `for signal ${event.data.signal}${event.data.timeoutAt === undefined ? '' : ` until ${event.data.timeoutAt}`} [${event.data.signal}, CANCEL]`,
      );
    case 'SignalReceived':
      return line(event.data.step, undefined, 'signal', `${event.data.signal} ${dataOf(event.data.data)} (by ${transition.metadata.sender})`);
    case 'SignalTimedOut':
      return line(event.data.step, undefined, 'timed out', `no signal ${event.data.signal} by ${event.data.timeoutAt} → ${event.data.policy}`);
    case 'RouteChosen':
      return line(
        event.data.step,
        undefined,
        'route',
        event.data.capReached === true
          ? `chose ${event.data.chose}: loop cap reached after ${event.data.loops} → ${event.data.to}`
          : `→ ${event.data.to}${event.data.loops === 0 ? '' : ` (loops so far: ${event.data.loops})`}`,
      );
    case 'WorkflowCompleted':
      return line('workflow', undefined, 'completed');
    case 'WorkflowFailed':
      return line('workflow', undefined, 'failed', event.data.reason);
    case 'WorkflowCancelled':
      return line('workflow', undefined, 'cancelled', event.data.reason);
  }
}
