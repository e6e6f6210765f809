import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiProblem, encode, follow } from './api.js';
import { formatCost, formatIterations, formatTime, formatTokens, stateLabel } from './format.js';
import { STATUSES, type Definition, type Usage, type WorkflowList, type WorkflowStatus } from './types.js';

const PAGE_SIZE = 25;

interface WorkflowsPageProps {
  definitions: Definition[];
}

/** Every workflow of the tenant, newest first: filtered and paged by the server, kept live by the tenant stream. */
export function WorkflowsPage({ definitions }: WorkflowsPageProps) {
  const [status, setStatus] = useState('');
  const [definition, setDefinition] = useState('');
  const [search, setSearch] = useState('');
  const [cursors, setCursors] = useState<Array<string | undefined>>([undefined]);
  const [page, setPage] = useState<WorkflowList | null>(null);
  const [usage, setUsage] = useState<Record<string, Usage>>({});
  const [error, setError] = useState('');
  const [searchMessage, setSearchMessage] = useState('');
  const [live, setLive] = useState(false);
  const usageSeen = useRef(new Map<string, number>());
  const cursor = cursors[cursors.length - 1];

  // One request at a time; a change while one is in flight asks for exactly one more.
  const loading = useRef<{ busy: boolean; again: boolean }>({ busy: false, again: false });
  const query = useRef({ status, definition, cursor });
  query.current = { status, definition, cursor };
  const load = async () => {
    if (loading.current.busy) {
      loading.current.again = true;
      return;
    }
    loading.current.busy = true;
    try {
      do {
        loading.current.again = false;
        const { status: byStatus, definition: byDefinition, cursor: at } = query.current;
        const params = new URLSearchParams({ limit: String(PAGE_SIZE) });
        if (byStatus !== '') params.set('status', byStatus);
        if (byDefinition !== '') params.set('definition', byDefinition);
        if (at !== undefined) params.set('cursor', at);
        const next = await api<WorkflowList>(`/v1/workflows?${params.toString()}`);
        setPage(next);
        setError('');
        void loadUsage(next.items);
      } while (loading.current.again);
    } catch (problem) {
      setError((problem as Error).message);
    } finally {
      loading.current.busy = false;
    }
  };
  // Tokens and cost come from the audit: asked for only for rows that changed since last asked.
  const loadUsage = async (items: WorkflowStatus[]) => {
    const stale = items.filter((item) => usageSeen.current.get(item.workflowId) !== item.revision);
    if (stale.length === 0) return;
    for (const item of stale) usageSeen.current.set(item.workflowId, item.revision);
    try {
      const { workflows } = await api<{ workflows: Record<string, Usage> }>(`/v1/usage?ids=${stale.map((item) => encode(item.workflowId)).join(',')}`);
      setUsage((current) => ({ ...current, ...workflows }));
    } catch {
      for (const item of stale) usageSeen.current.delete(item.workflowId);
    }
  };

  useEffect(() => {
    void load();
  }, [status, definition, cursor]);

  useEffect(
    () =>
      follow('/v1/stream', {
        open: () => setLive(true),
        // At most one reload in flight and one queued: a burst of transitions costs two reloads, not one each.
        transition: () => void load(),
      }),
    [],
  );

  const go = async (event: Event) => {
    event.preventDefault();
    const id = search.trim();
    if (id === '') return;
    try {
      await api<WorkflowStatus>(`/v1/workflows/${encode(id)}`);
      location.hash = `#/workflows/${encode(id)}`;
    } catch (problem) {
      setSearchMessage(problem instanceof ApiProblem && problem.status === 404 ? `No workflow "${id}".` : (problem as Error).message);
    }
  };

  const needle = search.trim().toLowerCase();
  const rows = (page?.items ?? []).filter((item) => needle === '' || item.workflowId.toLowerCase().includes(needle));
  const names = [...new Set(definitions.map((known) => known.name))];
  return (
    <section aria-labelledby="workflows-title">
      <h1 id="workflows-title">Workflows</h1>
      <div class="toolbar">
        <label>
          Status
          <select
            value={status}
            onChange={(event) => {
              setStatus((event.target as HTMLSelectElement).value);
              setCursors([undefined]);
            }}
          >
            <option value="">all</option>
            {STATUSES.map((value) => (
              <option key={value} value={value}>
                {value}
              </option>
            ))}
          </select>
        </label>
        <label>
          Definition
          <select
            value={definition}
            onChange={(event) => {
              setDefinition((event.target as HTMLSelectElement).value);
              setCursors([undefined]);
            }}
          >
            <option value="">all</option>
            {names.map((name) => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
          </select>
        </label>
        <form class="search" role="search" onSubmit={go}>
          <label for="search-id">Workflow id</label>
          <input
            id="search-id"
            type="search"
            value={search}
            placeholder="filter this page, Enter to open"
            onInput={(event) => {
              setSearch((event.target as HTMLInputElement).value);
              setSearchMessage('');
            }}
          />
          <button type="submit">Open</button>
        </form>
        <span class={`live ${live ? 'on' : ''}`}>{live ? 'Live' : 'Connecting…'}</span>
      </div>
      <p role="status" class="form-message">
        {searchMessage}
      </p>
      {error === '' ? null : (
        <p role="alert" class="error">
          {error}
        </p>
      )}
      <div class="table-wrap">
        <table class="workflows" aria-describedby="workflows-count">
          <thead>
            <tr>
              <th scope="col">Workflow</th>
              <th scope="col">Status</th>
              <th scope="col">Definition</th>
              <th scope="col">Current step</th>
              <th scope="col">Iterations</th>
              <th scope="col">Tokens</th>
              <th scope="col">Cost</th>
              <th scope="col">Started</th>
              <th scope="col">Updated</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((item) => {
              const spent = usage[item.workflowId];
              return (
                <tr key={item.workflowId} data-id={item.workflowId} data-status={item.status}>
                  <td>
                    <a href={`#/workflows/${encode(item.workflowId)}`}>{item.workflowId}</a>
                  </td>
                  <td>
                    <span class={`badge status-${item.status}`}>{item.status}</span>
                  </td>
                  <td>
                    {item.definition}
                    {item.version === undefined ? '' : ` v${item.version}`}
                  </td>
                  <td>{item.currentStep ?? stateLabel(item.state)}</td>
                  <td>{formatIterations(item.iterations)}</td>
                  <td class="num">{spent === undefined ? '' : formatTokens(spent.inputTokens + spent.outputTokens)}</td>
                  <td class="num">{spent === undefined ? '' : formatCost(spent.costUsd)}</td>
                  <td>
                    <time dateTime={item.createdAt}>{formatTime(item.createdAt)}</time>
                  </td>
                  <td>
                    <time dateTime={item.updatedAt}>{formatTime(item.updatedAt)}</time>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      <p id="workflows-count" class="muted">
        {page === null ? 'Loading…' : `${rows.length} workflow${rows.length === 1 ? '' : 's'} on page ${cursors.length}`}
      </p>
      <nav class="pager" aria-label="Pages">
        <button type="button" disabled={cursors.length === 1} onClick={() => setCursors((current) => current.slice(0, -1))}>
          Previous page
        </button>
        <button
          type="button"
          disabled={page?.nextCursor === null || page === null}
          onClick={() => page?.nextCursor && setCursors((current) => [...current, page.nextCursor ?? undefined])}
        >
          Next page
        </button>
      </nav>
    </section>
  );
}
