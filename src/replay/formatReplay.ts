import { callPath } from '../machines/index.js';
import type { ReplayResult, ReplayTransition } from './replayHistory.js';
import type { ReplayHeader } from './replayWorkflow.js';
import { formatStateValue } from './formatStateValue.js';

const counters = (iterations: Readonly<Record<string, number>>): string => {
  let text = '';
  for (const step in iterations) text += `${text === '' ? '' : ' '}${step}=${iterations[step]}`;
  return text === '' ? '' : `  [${text}]`;
};

const label = (transition: ReplayTransition): string => {
  const data = transition.event.data as {
    step?: string;
    iteration?: number;
    attempt?: number;
    decision?: string;
    output?: unknown;
    call?: string;
    item?: string;
    error?: { code: string };
  };
  let text = transition.type;
  if (data.step !== undefined) {
    text += ` ${data.step}`;
    if (data.iteration !== undefined) text += ` #${data.iteration}`;
    if (data.attempt !== undefined && data.attempt > 1) text += ` attempt ${data.attempt}`;
  }
  const output = data.output as { verdict?: unknown } | null | undefined;
  if (transition.type === 'StepCompleted' && typeof output === 'object' && output !== null && typeof output.verdict === 'string')
    text += ` verdict ${output.verdict}`;
  if (data.decision !== undefined) text += ` ${data.decision}`;
  if (transition.type === 'CallCompleted' && data.call !== undefined)
    text += ` "${callPath({ item: data.item, call: data.call })}"${data.error === undefined ? '' : ` failed ${data.error.code}`}`;
  return text;
};

/** `replay <id> · <definition> v<version> · <n> events[ · to revision <r>]`. */
export const formatReplayHeader = (header: ReplayHeader): string =>
  `replay ${header.workflowId} · ${header.definition} v${header.version} · ${header.lastRevision + 1} events${header.to === undefined ? '' : ` · to revision ${header.to}`}`;

/**
 * A formatter of transition lines, `r<rev>  <state before> → <event> → <state after>  [iterations]`,
 * fed in order. The machine's values are immutable and each `before` is the previous `after`, so a
 * value's text is computed once and reused for the next line: printing stays a small part of a replay.
 */
export function createTransitionFormatter(): (transition: ReplayTransition) => string {
  let value: unknown;
  let valueText = '';
  let iterations: unknown;
  let iterationsText = '';
  const textOf = (next: ReplayTransition['before']): string => {
    if (next !== value || valueText === '') {
      value = next;
      valueText = formatStateValue(next);
    }
    return valueText;
  };
  return (transition) => {
    const before = textOf(transition.before);
    const after = textOf(transition.after);
    if (transition.iterations !== iterations) {
      iterations = transition.iterations;
      iterationsText = counters(transition.iterations);
    }
    const legacy = transition.payloadVersion === 0 ? '  (upcast from v0)' : '';
    return `r${String(transition.revision).padEnd(4)} ${before} → ${label(transition)} → ${after}${iterationsText}${legacy}`;
  };
}

/** The header and one line per transition of a replay that kept its transitions. */
export function formatReplay(result: ReplayResult): string[] {
  const line = createTransitionFormatter();
  return [formatReplayHeader(result), ...result.transitions.map(line)];
}
