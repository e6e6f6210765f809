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

/** One line per transition: `r<rev>  <state before> → <event> → <state after>  [iterations]`. */
export function formatReplay(result: ReplayResult): string[] {
  const lines = [`replay ${result.workflowId} · ${result.definition} v${result.version} · ${result.transitions.length} of ${result.lastRevision + 1} events`];
  for (const transition of result.transitions) {
    const legacy = transition.payloadVersion === 0 ? '  (upcast from v0)' : '';
    lines.push(
      `r${String(transition.revision).padEnd(4)} ${formatStateValue(transition.before)} → ${label(transition)} → ${formatStateValue(transition.after)}${counters(transition.iterations)}${legacy}`,
    );
  }
  return lines;
}
