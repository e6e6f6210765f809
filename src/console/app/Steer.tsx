import { useState } from 'preact/hooks';
import { api, encode } from './api.js';
import { commandLabel, isFinished } from './format.js';
import { SchemaForm } from './SchemaForm.js';
import type { Definition, Json, JsonSchema, WorkflowStatus } from './types.js';

interface SteerProps {
  status: WorkflowStatus;
  definition: Definition | undefined;
  onSent: (text: string) => void;
}

/** The commands the workflow accepts now, each with a form generated from its data schema. */
export function Steer({ status, definition, onSent }: SteerProps) {
  const accepts = status.accepts ?? [];
  const [chosen, setChosen] = useState<string | null>(null);
  const active = chosen !== null && accepts.includes(chosen) ? chosen : null;
  if (accepts.length === 0)
    return (
      <p class="muted">
        {isFinished(status.status)
          ? `It is ${status.status}: it takes no more commands.`
          : `It accepts no command now${status.reason ? `: ${status.reason}` : '.'}`}
      </p>
    );
  const schemaOf = (type: string): JsonSchema => definition?.commands.find((command) => command.type === type)?.dataSchema ?? {};
  const send = async (type: string, data: Record<string, Json> | Json) => {
    const sent = await api<{ revision: number }>(`/v1/workflows/${encode(status.workflowId)}/events`, { method: 'POST', body: { type, data } });
    setChosen(null);
    onSent(`${commandLabel(type)} sent (revision ${sent.revision}).`);
  };
  return (
    <div class="steer">
      <div class="choices" role="group" aria-label="Commands it accepts now">
        {accepts.map((type) => (
          <button key={type} type="button" class={`choice cmd-${type}`} aria-pressed={active === type} onClick={() => setChosen(active === type ? null : type)}>
            {commandLabel(type)}
          </button>
        ))}
      </div>
      {active === null ? null : (
        <div class="command-form">
          <h3>{commandLabel(active)}</h3>
          {definition?.commands.find((command) => command.type === active)?.description ? (
            <p class="muted">{definition.commands.find((command) => command.type === active)?.description}</p>
          ) : null}
          <SchemaForm
            key={active}
            id={`cmd-${active}`}
            schema={schemaOf(active)}
            errorPrefix="data"
            submitLabel={`Send ${commandLabel(active).toLowerCase()}`}
            onSubmit={(data) => send(active, data)}
          />
        </div>
      )}
    </div>
  );
}
