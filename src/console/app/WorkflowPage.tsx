import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { api, ApiProblem, encode, follow } from './api.js';
import { formatCost, formatIterations, formatTime, formatTokens, isFinished, phaseOf, showJson, stateLabel } from './format.js';
import { Graph } from './Graph.js';
import { Steer } from './Steer.js';
import { Timeline } from './Timeline.js';
import type { AuditEntry, Definition, Descendant, History, Json, WorkflowStatus } from './types.js';

interface WorkflowPageProps {
  id: string;
  definitions: Definition[];
}

interface LiveText {
  step: string;
  iteration: number;
  text: string;
}

/** One workflow: where it is (graph), what happened (timeline), the model's tokens as they stream, steering, and time travel. */
export function WorkflowPage({ id, definitions }: WorkflowPageProps) {
  const [status, setStatus] = useState<WorkflowStatus | null>(null);
  const [audit, setAudit] = useState<AuditEntry[]>([]);
  const [descendants, setDescendants] = useState<Descendant[]>([]);
  const [history, setHistory] = useState<History | null>(null);
  const [historyError, setHistoryError] = useState('');
  const [error, setError] = useState('');
  const [notice, setNotice] = useState('');
  const [travel, setTravel] = useState<number | null>(null);
  const [streaming, setStreaming] = useState<LiveText | null>(null);
  const [following, setFollowing] = useState(false);
  const path = `/v1/workflows/${encode(id)}`;

  const loading = useRef<{ busy: boolean; again: boolean }>({ busy: false, again: false });
  const refresh = async () => {
    if (loading.current.busy) {
      loading.current.again = true;
      return;
    }
    loading.current.busy = true;
    try {
      do {
        loading.current.again = false;
        const [nextStatus, nextAudit] = await Promise.all([
          api<WorkflowStatus>(path),
          api<{ entries: AuditEntry[]; descendants: Descendant[] }>(`${path}/audit`),
        ]);
        setStatus(nextStatus);
        setAudit(nextAudit.entries);
        setDescendants(nextAudit.descendants);
        setError('');
        try {
          setHistory(await api<History>(`${path}/history`));
          setHistoryError('');
        } catch (problem) {
          setHistoryError((problem as Error).message);
        }
      } while (loading.current.again);
    } catch (problem) {
      setError(problem instanceof ApiProblem && problem.status === 404 ? `No workflow "${id}" in your tenant.` : (problem as Error).message);
    } finally {
      loading.current.busy = false;
    }
  };

  useEffect(() => {
    setStatus(null);
    setTravel(null);
    setStreaming(null);
    void refresh();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const schedule = () => {
      timer ??= setTimeout(() => {
        timer = undefined;
        void refresh();
      }, 50);
    };
    const close = follow(`${path}/stream`, {
      open: () => setFollowing(true),
      transition: schedule,
      delta: (delta) =>
        setStreaming((current) =>
          current !== null && current.step === delta.step && current.iteration === delta.iteration
            ? { ...current, text: current.text + delta.text }
            : { step: delta.step, iteration: delta.iteration, text: delta.text },
        ),
      end: () => {
        setFollowing(false);
        schedule();
      },
    });
    return () => {
      close();
      if (timer !== undefined) clearTimeout(timer);
    };
  }, [id]);

  const definition = useMemo(() => definitions.find((candidate) => candidate.name === status?.definition), [definitions, status?.definition]);
  const revisions = history?.revisions ?? [];
  const lastRevision = revisions.length === 0 ? 0 : revisions[revisions.length - 1]!.revision;
  const shown = travel === null ? null : (revisions.find((revision) => revision.revision === travel) ?? null);
  // The outputs at a revision: the outputs each event up to it set, folded forward.
  const outputsAt = useMemo(() => {
    if (shown === null) return {};
    const outputs: Record<string, Json> = {};
    for (const revision of revisions) {
      if (revision.revision > shown.revision) break;
      Object.assign(outputs, revision.outputs);
    }
    return outputs;
  }, [revisions, shown]);

  if (error !== '')
    return (
      <section>
        <h1>Workflow {id}</h1>
        <p role="alert" class="error">
          {error}
        </p>
        <p>
          <a href="#/">Back to the workflows</a>
        </p>
      </section>
    );
  if (status === null) return <p role="status">Loading {id}…</p>;

  const graphStatus = shown === null ? status.status : shown.status;
  const graphStep = shown === null ? (status.currentStep ?? null) : shown.currentStep;
  const finished = isFinished(status.status);
  return (
    <section aria-labelledby="workflow-title">
      <p class="crumbs">
        <a href="#/">Workflows</a> / {id}
      </p>
      <h1 id="workflow-title">
        {id} <span class={`badge status-${status.status}`}>{status.status}</span>
      </h1>
      <dl class="facts">
        <div>
          <dt>Definition</dt>
          <dd>
            <a href={`#/definitions/${encode(status.definition)}`}>{status.definition}</a>
            {status.version === undefined ? '' : ` v${status.version}`}
          </dd>
        </div>
        <div>
          <dt>State</dt>
          <dd>{stateLabel(status.state)}</dd>
        </div>
        <div>
          <dt>Iterations</dt>
          <dd>{formatIterations(status.iterations) || '–'}</dd>
        </div>
        {history === null || revisions.length === 0 ? null : (
          <div>
            <dt>Tokens, cost</dt>
            <dd>
              {formatTokens(revisions[revisions.length - 1]!.usage.inputTokens + revisions[revisions.length - 1]!.usage.outputTokens)},{' '}
              {formatCost(revisions[revisions.length - 1]!.usage.costUsd)}
            </dd>
          </div>
        )}
        {status.parent === undefined ? null : (
          <div>
            <dt>Started by</dt>
            <dd>
              <a href={`#/workflows/${encode(status.parent.workflowId)}`}>{status.parent.workflowId}</a> at {status.parent.step}
            </dd>
          </div>
        )}
        <div>
          <dt>Started</dt>
          <dd>{formatTime(status.createdAt)}</dd>
        </div>
        <div>
          <dt>Updated</dt>
          <dd>{formatTime(status.updatedAt)}</dd>
        </div>
        {status.waitingFor === undefined ? null : (
          <div>
            <dt>Waiting for</dt>
            <dd>
              {status.waitingFor.kind} at {status.waitingFor.step}
              {status.waitingFor.signal === undefined ? '' : ` (signal ${status.waitingFor.signal})`}
            </dd>
          </div>
        )}
        {status.reason && status.status !== 'completed' ? (
          <div>
            <dt>Reason</dt>
            <dd>{status.reason}</dd>
          </div>
        ) : null}
      </dl>
      <p class={`live ${following ? 'on' : ''}`} role="status">
        {finished ? 'Finished.' : following ? 'Following live.' : 'Connecting…'}
      </p>

      <section aria-labelledby="steer-title" class="panel">
        <h2 id="steer-title">Steer</h2>
        <Steer
          status={status}
          definition={definition}
          onSent={(text) => {
            setNotice(text);
            void refresh();
          }}
        />
        <p role="status" class="form-message">
          {notice}
        </p>
      </section>

      <section aria-labelledby="graph-title" class="panel">
        <h2 id="graph-title">Statechart</h2>
        {history === null ? (
          <p class="muted">{historyError === '' ? 'Loading the definition…' : `The graph is not available: ${historyError}`}</p>
        ) : (
          <Graph
            steps={history.steps}
            current={graphStep}
            status={graphStatus}
            phase={phaseOf(shown === null ? status.state : shown.state)}
            iterations={shown === null ? status.iterations : shown.iterations}
            caption={
              shown === null ? `${history.definition} v${history.version}, now` : `${history.definition} v${history.version} at revision ${shown.revision}`
            }
          />
        )}
      </section>

      {streaming === null ? null : (
        <section aria-labelledby="tokens-title" class="panel">
          <h2 id="tokens-title">
            {!finished && status.currentStep === streaming.step ? 'Streaming' : 'Last streamed'}: {streaming.step}, iteration {streaming.iteration}
          </h2>
          <pre class="stream" data-step={streaming.step} tabIndex={0}>
            {streaming.text}
          </pre>
        </section>
      )}

      <section aria-labelledby="travel-title" class="panel">
        <h2 id="travel-title">Time travel</h2>
        {revisions.length === 0 ? (
          <p class="muted">{historyError === '' ? 'Folding the history…' : historyError}</p>
        ) : (
          <div class="travel">
            <label for="travel-slider">Revision</label>
            <input
              id="travel-slider"
              type="range"
              min={0}
              max={lastRevision}
              step={1}
              value={travel ?? lastRevision}
              aria-valuetext={`revision ${travel ?? lastRevision}: ${(shown ?? revisions[revisions.length - 1])?.type ?? ''}`}
              onInput={(event) => setTravel(Number((event.target as HTMLInputElement).value))}
            />
            <output for="travel-slider">{travel === null ? `live (revision ${lastRevision})` : `revision ${travel} of ${lastRevision}`}</output>
            {travel === null ? null : (
              <button type="button" onClick={() => setTravel(null)}>
                Back to now
              </button>
            )}
            {shown === null ? (
              <p class="muted">
                Move the slider (or use “View at revision” in the timeline) to see the state, the outputs and the graph at any revision, folded from the log.
              </p>
            ) : (
              <div class="travel-view" data-revision={shown.revision}>
                <p>
                  After <strong>{shown.type}</strong>
                  {shown.step === null ? '' : ` (${shown.step})`} at <time dateTime={shown.at}>{formatTime(shown.at)}</time> by {shown.sender}: state{' '}
                  <code>{stateLabel(shown.state)}</code>, iterations {formatIterations(shown.iterations) || '–'}, tokens{' '}
                  {formatTokens(shown.usage.inputTokens + shown.usage.outputTokens)}.
                </p>
                <h3>Outputs at revision {shown.revision}</h3>
                {Object.keys(outputsAt).length === 0 ? <p class="muted">No step had an output yet.</p> : null}
                {Object.entries(outputsAt).map(([step, output]) => (
                  <details key={step} open class="output">
                    <summary>{step}</summary>
                    <pre data-step={step} tabIndex={0}>
                      {showJson(output)}
                    </pre>
                  </details>
                ))}
              </div>
            )}
          </div>
        )}
        {history?.divergence === undefined ? null : (
          <p class="error">
            The fold stops at revision {history.divergence.revision}: {history.divergence.reason}
          </p>
        )}
      </section>

      {status.output === undefined || status.output === null ? null : (
        <section aria-labelledby="output-title" class="panel">
          <h2 id="output-title">Output</h2>
          <pre class="output-final" tabIndex={0}>
            {showJson(status.output)}
          </pre>
        </section>
      )}

      {descendants.length === 0 ? null : <Children workflowId={id} descendants={descendants} />}

      <section aria-labelledby="timeline-title" class="panel">
        <h2 id="timeline-title">Timeline</h2>
        <Timeline
          entries={audit}
          selected={travel}
          onTravel={(revision) => {
            setTravel(revision);
            document.getElementById('travel-title')?.scrollIntoView();
            document.getElementById('travel-slider')?.focus();
          }}
        />
      </section>
    </section>
  );
}

/** The workflows this one's steps started, theirs and so on (parents first), with their own model usage. */
function Children({ workflowId, descendants }: { workflowId: string; descendants: Descendant[] }) {
  const total = descendants.reduce((sum, child) => ({ tokens: sum.tokens + child.inputTokens + child.outputTokens, costUsd: sum.costUsd + child.costUsd }), {
    tokens: 0,
    costUsd: 0,
  });
  return (
    <section aria-labelledby="children-title" class="panel">
      <h2 id="children-title">Child workflows</h2>
      <div class="table-wrap">
        <table class="children">
          <thead>
            <tr>
              <th scope="col">Workflow</th>
              <th scope="col">Definition</th>
              <th scope="col">Status</th>
              <th scope="col">Tokens, cost</th>
            </tr>
          </thead>
          <tbody>
            {descendants.map((child) => (
              <tr key={child.workflowId} data-id={child.workflowId}>
                <td>
                  <a href={`#/workflows/${encode(child.workflowId)}`}>{child.workflowId}</a>
                  {child.parentId === workflowId ? '' : ` (child of ${child.parentId})`}
                </td>
                <td>{child.definition}</td>
                <td>
                  <span class={`badge status-${child.status}`}>{child.status}</span>
                </td>
                <td>
                  {formatTokens(child.inputTokens + child.outputTokens)}, {formatCost(child.costUsd)}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <p class="children-total">
        {descendants.length} in all: {formatTokens(total.tokens)} tokens, {formatCost(total.costUsd)}
      </p>
    </section>
  );
}
