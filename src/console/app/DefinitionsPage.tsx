import { useEffect, useState } from 'preact/hooks';
import { api, encode } from './api.js';
import { commandLabel } from './format.js';
import { Graph } from './Graph.js';
import { SchemaForm } from './SchemaForm.js';
import type { Definition, Json, StepStructure, WorkflowStatus } from './types.js';

export function DefinitionsPage({ definitions }: { definitions: Definition[] }) {
  return (
    <section aria-labelledby="definitions-title">
      <h1 id="definitions-title">Definitions</h1>
      {definitions.length === 0 ? <p>No definitions are registered on this server.</p> : null}
      <ul class="cards">
        {definitions.map((definition) => (
          <li key={definition.name} class="card">
            <h2>
              <a href={`#/definitions/${encode(definition.name)}`}>{definition.name}</a> <span class="muted">v{definition.version}</span>
            </h2>
            {definition.description === undefined ? null : <p>{definition.description}</p>}
            <p class="muted">Commands: {definition.commands.map((command) => commandLabel(command.type)).join(', ')}</p>
            <a class="button" href={`#/definitions/${encode(definition.name)}`}>
              Start a {definition.name} workflow
            </a>
          </li>
        ))}
      </ul>
    </section>
  );
}

interface Versions {
  name: string;
  versions: Array<{ version: number; description?: string; steps: StepStructure[] }>;
}

/** One definition: its versions and steps (drawn), its input schema, and a form to start a workflow generated from it. */
export function DefinitionPage({ name, definitions }: { name: string; definitions: Definition[] }) {
  const definition = definitions.find((candidate) => candidate.name === name);
  const [versions, setVersions] = useState<Versions | null>(null);
  const [workflowId, setWorkflowId] = useState('');
  useEffect(() => {
    api<Versions>(`/v1/definitions/${encode(name)}/versions`).then(setVersions, () => setVersions(null));
  }, [name]);
  if (definition === undefined)
    return (
      <section>
        <h1>Definition {name}</h1>
        <p role="alert">No definition "{name}" on this server.</p>
      </section>
    );
  const latest = versions?.versions[versions.versions.length - 1];
  const start = async (input: Record<string, Json> | Json) => {
    const id = workflowId.trim();
    const started = await api<WorkflowStatus>('/v1/workflows', { method: 'POST', body: { definition: name, input, ...(id === '' ? {} : { id }) } });
    location.hash = `#/workflows/${encode(started.workflowId)}`;
  };
  return (
    <section aria-labelledby="definition-title">
      <p class="crumbs">
        <a href="#/definitions">Definitions</a> / {name}
      </p>
      <h1 id="definition-title">
        {name} <span class="muted">v{definition.version}</span>
      </h1>
      {definition.description === undefined ? null : <p>{definition.description}</p>}
      <section class="panel" aria-labelledby="start-title">
        <h2 id="start-title">Start a workflow</h2>
        <SchemaForm id="start" schema={definition.inputSchema} errorPrefix="input" submitLabel="Start workflow" onSubmit={start}>
          <div class="field">
            <label for="start-workflow-id">
              Workflow id <span class="hint">(optional: the server picks one)</span>
            </label>
            <input id="start-workflow-id" type="text" value={workflowId} onInput={(event) => setWorkflowId((event.target as HTMLInputElement).value)} />
          </div>
        </SchemaForm>
      </section>
      <section class="panel" aria-labelledby="steps-title">
        <h2 id="steps-title">Steps</h2>
        {latest === undefined ? (
          <p class="muted">Loading…</p>
        ) : (
          <>
            <Graph steps={latest.steps} current={null} status="defined" caption={`${name} v${latest.version}`} />
            <table>
              <caption>Versions registered on this server</caption>
              <thead>
                <tr>
                  <th scope="col">Version</th>
                  <th scope="col">Steps</th>
                </tr>
              </thead>
              <tbody>
                {versions?.versions.map((version) => (
                  <tr key={version.version}>
                    <td>v{version.version}</td>
                    <td>{version.steps.map((step) => `${step.name} (${step.kind}${step.validates ? ` of ${step.validates}` : ''})`).join(' → ')}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </>
        )}
      </section>
      <section class="panel" aria-labelledby="schema-title">
        <h2 id="schema-title">Input schema</h2>
        <pre class="schema" tabIndex={0}>
          {JSON.stringify(definition.inputSchema, null, 2)}
        </pre>
      </section>
    </section>
  );
}
