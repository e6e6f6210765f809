import type { ReplayResult, ReplayTransition } from './replayHistory.js';
import { formatStateValue } from './formatStateValue.js';

const counters = (iterations: Record<string, number>): string => {
  const entries = Object.entries(iterations);
  return entries.length === 0 ? '' : `  [${entries.map(([step, n]) => `${step}=${n}`).join(' ')}]`;
};

const label = (transition: ReplayTransition): string => {
  const data = transition.event.data as { step?: string; iteration?: number; attempt?: number; verdict?: string; decision?: string };
  const parts: string[] = [transition.type];
  if (data.step !== undefined) parts.push(`${data.step}${data.iteration === undefined ? '' : ` #${data.iteration}`}${data.attempt !== undefined && data.attempt > 1 ? ` attempt ${data.attempt}` : ''}`);
  const output = (transition.event.data as { output?: { verdict?: string } }).output;
  if (transition.type === 'StepCompleted' && typeof output === 'object' && output !== null && typeof output.verdict === 'string') parts.push(`verdict ${output.verdict}`);
  if (data.decision !== undefined) parts.push(data.decision);
  return parts.join(' ');
};

/**
 * One line per transition: `r<rev>  <state before> → <event> → <state after>  [iterations]`.
 * The machine's values are immutable and each `before` is the previous `after`, so their text is
 * computed once per distinct object: printing stays a small part of a replay.
 */
export function formatReplay(result: ReplayResult): string[] {
  const lines = [`replay ${result.workflowId} · ${result.definition} v${result.version} · ${result.transitions.length} of ${result.lastRevision + 1} events`];
  const texts = new WeakMap<object, string>();
  const cached = <T>(value: T, format: (value: T) => string): string => {
    if (typeof value !== 'object' || value === null) return format(value);
    let text = texts.get(value);
    if (text === undefined) texts.set(value, (text = format(value)));
    return text;
  };
  for (const transition of result.transitions) {
    const legacy = transition.payloadVersion === 0 ? '  (upcast from v0)' : '';
    const before = cached(transition.before, formatStateValue);
    const after = cached(transition.after, formatStateValue);
    lines.push(`r${String(transition.revision).padEnd(4)} ${before} → ${label(transition)} → ${after}${cached(transition.iterations, counters)}${legacy}`);
  }
  return lines;
}
