import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { ApiProblem } from './api.js';
import type { Json, JsonSchema } from './types.js';

type Kind = 'text' | 'textarea' | 'number' | 'boolean' | 'select' | 'json';

interface Field {
  name: string;
  label: string;
  kind: Kind;
  required: boolean;
  description?: string;
  options?: string[];
  initial: string | boolean;
}

/** Field names that usually hold prose: a text area rather than one line. */
const PROSE = /feedback|instructions|text|reason|note|description|prompt|message|comment/i;

/** The fields of an object schema; any other schema is edited as one JSON value. */
export function fieldsOf(schema: JsonSchema): Field[] | undefined {
  const properties = schema.properties as Record<string, JsonSchema> | undefined;
  if (schema.type !== 'object' || properties === undefined) return undefined;
  const required = new Set((schema.required as string[] | undefined) ?? []);
  return Object.entries(properties).map(([name, property]) => {
    const kind = kindOf(name, property);
    const fallback = property.default;
    const initial =
      kind === 'boolean'
        ? fallback === true
        : kind === 'json'
          ? JSON.stringify(fallback ?? sampleOf(property), null, 2)
          : fallback === undefined
            ? kind === 'select' && required.has(name)
              ? String((property.enum as unknown[])[0])
              : ''
            : String(fallback as string | number);
    return {
      name,
      label: labelOf(name),
      kind,
      required: required.has(name),
      ...(typeof property.description === 'string' ? { description: property.description } : {}),
      ...(kind === 'select' ? { options: (property.enum as unknown[]).map(String) } : {}),
      initial,
    };
  });
}

/** A starting value for a JSON field: a list of objects starts with one blank item, so its shape shows. */
function sampleOf(property: JsonSchema): Json {
  if (property.type === 'object') return {};
  if (property.type !== 'array') return null;
  const items = property.items as JsonSchema | undefined;
  const fields = items?.type === 'object' ? (items.properties as Record<string, JsonSchema> | undefined) : undefined;
  if (fields === undefined) return [];
  const blank = (field: JsonSchema): Json =>
    field.type === 'string' ? '' : field.type === 'number' || field.type === 'integer' ? 0 : field.type === 'boolean' ? false : null;
  return [Object.fromEntries(Object.entries(fields).map(([name, field]) => [name, blank(field)]))];
}

function kindOf(name: string, property: JsonSchema): Kind {
  if (Array.isArray(property.enum) && property.enum.every((value) => typeof value === 'string')) return 'select';
  if (property.type === 'string') return PROSE.test(name) || Number(property.maxLength ?? 0) > 200 ? 'textarea' : 'text';
  if (property.type === 'integer' || property.type === 'number') return 'number';
  if (property.type === 'boolean') return 'boolean';
  return 'json';
}

const labelOf = (name: string): string => {
  const words = name.replace(/([a-z0-9])([A-Z])/g, '$1 $2').replace(/[_-]+/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1).toLowerCase();
};

interface SchemaFormProps {
  schema: JsonSchema;
  /** Unique per page: prefixes the fields' ids. */
  id: string;
  submitLabel: string;
  /** Where a server's field errors start (`input`, `data`): stripped to find the field. */
  errorPrefix: string;
  onSubmit: (value: Record<string, Json> | Json) => Promise<void>;
  /** Fields of the caller's, shown first (e.g. a workflow id). */
  children?: ComponentChildren;
}

/** A form generated from a JSON Schema: what the server validates again, and whose errors it names per field. */
export function SchemaForm({ schema, id, submitLabel, errorPrefix, onSubmit, children }: SchemaFormProps) {
  const fields = fieldsOf(schema) ?? [{ name: '', label: 'Data (JSON)', kind: 'json' as const, required: false, initial: 'null' }];
  const [values, setValues] = useState<Record<string, string | boolean>>(() => Object.fromEntries(fields.map((field) => [field.name, field.initial])));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [message, setMessage] = useState<string>('');
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    const fieldErrors: Record<string, string> = {};
    const value: Record<string, Json> = {};
    for (const field of fields) {
      const raw = values[field.name];
      if (field.kind === 'boolean') value[field.name] = raw === true;
      else if (typeof raw === 'string') {
        if (raw.trim() === '') {
          if (field.required) fieldErrors[field.name] = 'Required';
          continue;
        }
        if (field.kind === 'number') value[field.name] = Number(raw);
        else if (field.kind === 'json') {
          try {
            value[field.name] = JSON.parse(raw) as Json;
          } catch {
            fieldErrors[field.name] = 'Not valid JSON';
          }
        } else value[field.name] = raw;
      }
    }
    setErrors(fieldErrors);
    if (Object.keys(fieldErrors).length > 0) {
      setMessage('Some fields need a look.');
      return;
    }
    setBusy(true);
    setMessage('');
    try {
      await onSubmit(fields.length === 1 && fields[0]!.name === '' ? (value[''] ?? null) : value);
    } catch (error) {
      if (error instanceof ApiProblem) {
        const named: Record<string, string> = {};
        const other: string[] = [];
        for (const problem of error.errors) {
          const path = problem.path.startsWith(`${errorPrefix}.`) ? problem.path.slice(errorPrefix.length + 1) : problem.path;
          const field = fields.find((candidate) => path === candidate.name || path.startsWith(`${candidate.name}.`) || path.startsWith(`${candidate.name}[`));
          if (field === undefined) other.push(`${problem.path}: ${problem.message}`);
          else named[field.name] = `${path === field.name ? '' : `${path}: `}${problem.message}`;
        }
        setErrors(named);
        setMessage([error.message, ...other].join(' — '));
      } else setMessage((error as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="schema-form" onSubmit={submit} noValidate>
      {children}
      {fields.map((field) => {
        const fieldId = `${id}-${field.name || 'data'}`;
        const described = [field.description === undefined ? '' : `${fieldId}-help`, errors[field.name] === undefined ? '' : `${fieldId}-error`]
          .filter(Boolean)
          .join(' ');
        const common = {
          id: fieldId,
          name: field.name,
          'aria-invalid': errors[field.name] === undefined ? undefined : ('true' as const),
          'aria-describedby': described === '' ? undefined : described,
          'aria-required': field.required ? ('true' as const) : undefined,
        };
        const text = typeof values[field.name] === 'string' ? (values[field.name] as string) : '';
        const set = (next: string | boolean) => setValues((current) => ({ ...current, [field.name]: next }));
        return (
          <div class={`field field-${field.kind}`} key={field.name}>
            {field.kind === 'boolean' ? (
              <label for={fieldId} class="check">
                <input
                  {...common}
                  type="checkbox"
                  checked={values[field.name] === true}
                  onChange={(event) => set((event.target as HTMLInputElement).checked)}
                />
                {field.label}
              </label>
            ) : (
              <label for={fieldId}>
                {field.label}
                {field.required ? <span class="required"> (required)</span> : null}
                {field.kind === 'json' ? <span class="hint"> (JSON)</span> : null}
              </label>
            )}
            {field.kind === 'text' ? <input {...common} type="text" value={text} onInput={(event) => set((event.target as HTMLInputElement).value)} /> : null}
            {field.kind === 'number' ? (
              <input {...common} type="number" value={text} onInput={(event) => set((event.target as HTMLInputElement).value)} />
            ) : null}
            {field.kind === 'textarea' || field.kind === 'json' ? (
              <textarea
                {...common}
                rows={field.kind === 'json' ? 6 : 3}
                spellcheck={field.kind !== 'json'}
                value={text}
                onInput={(event) => set((event.target as HTMLTextAreaElement).value)}
              />
            ) : null}
            {field.kind === 'select' ? (
              <select {...common} value={text} onChange={(event) => set((event.target as HTMLSelectElement).value)}>
                {field.required ? null : <option value="">(none)</option>}
                {field.options?.map((option) => (
                  <option key={option} value={option}>
                    {option}
                  </option>
                ))}
              </select>
            ) : null}
            {field.description === undefined ? null : (
              <p class="help" id={`${fieldId}-help`}>
                {field.description}
              </p>
            )}
            {errors[field.name] === undefined ? null : (
              <p class="error" id={`${fieldId}-error`}>
                {errors[field.name]}
              </p>
            )}
          </div>
        );
      })}
      <div class="actions">
        <button type="submit" disabled={busy}>
          {busy ? 'Sending…' : submitLabel}
        </button>
      </div>
      <p class="form-message" role="alert">
        {message}
      </p>
    </form>
  );
}
