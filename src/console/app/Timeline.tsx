import { formatCost, formatTime, formatTokens } from './format.js';
import type { AuditEntry } from './types.js';

interface TimelineProps {
  entries: AuditEntry[];
  /** The revision shown by time travel, if any. */
  selected: number | null;
  onTravel: (revision: number) => void;
}

const KIND: Record<string, string> = {
  StepStarted: 'step',
  StepCompleted: 'step',
  StepFailed: 'failure',
  CallCompleted: 'call',
  RevisionRequested: 'revision',
  IterationCapReached: 'cap',
  HumanInputRequested: 'human',
  HumanDecisionReceived: 'human',
  SignalAwaited: 'signal',
  SignalReceived: 'signal',
  SignalTimedOut: 'signal',
  SleepStarted: 'timer',
  SleepEnded: 'timer',
  WorkflowCompleted: 'end',
  WorkflowFailed: 'failure',
  WorkflowCancelled: 'failure',
};

/** The audit trail: steps and their attempts, revisions with verdict and feedback, people's decisions, signals, timers, model usage. */
export function Timeline({ entries, selected, onTravel }: TimelineProps) {
  if (entries.length === 0) return <p>No events yet.</p>;
  return (
    <ol class="timeline">
      {entries.map((entry) => {
        const usage = entry.inputTokens !== null || entry.outputTokens !== null;
        return (
          <li key={entry.revision} class={`entry kind-${KIND[entry.type] ?? 'other'}${selected === entry.revision ? ' selected' : ''}`} data-type={entry.type}>
            <div class="entry-head">
              <span class="rev">#{entry.revision}</span>
              <time dateTime={entry.at}>{formatTime(entry.at).slice(11)}</time>
              <strong class="type">{entry.type}</strong>
              {entry.step === null ? null : (
                <span class="where">
                  {entry.step}
                  {entry.iteration === null ? '' : ` · iteration ${entry.iteration}`}
                  {entry.attempt === null || entry.attempt === 1 ? '' : ` · attempt ${entry.attempt}`}
                  {entry.call === null ? '' : ` · ${entry.call}`}
                </span>
              )}
              <span class="sender">by {entry.sender}</span>
              <button type="button" class="link" onClick={() => onTravel(entry.revision)}>
                View at revision {entry.revision}
              </button>
            </div>
            <p class="summary">{entry.summary}</p>
            {entry.verdict === null ? null : <p class={`verdict verdict-${entry.verdict}`}>Verdict: {entry.verdict}</p>}
            {entry.feedback === null ? null : <blockquote class="feedback">{entry.feedback}</blockquote>}
            {usage ? (
              <p class="usage">
                {entry.model ?? 'model'}: {formatTokens(entry.inputTokens)} in, {formatTokens(entry.outputTokens)} out
                {entry.costUsd === null ? '' : `, ${formatCost(entry.costUsd)}`}
                {entry.latencyMs === null ? '' : `, ${Math.round(entry.latencyMs)} ms`}
              </p>
            ) : null}
          </li>
        );
      })}
    </ol>
  );
}
