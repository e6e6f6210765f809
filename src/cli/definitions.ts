import { relative } from 'node:path';
import { Command } from 'commander';
import type { z } from 'zod';
import { addWorkflowsOption, type WorkflowsOptions } from './commonOptions.js';
import { printJson } from './output.js';

interface DefinitionsOptions extends WorkflowsOptions {
  json?: boolean;
}

/** The input schema as JSON Schema, or a note when zod cannot express it (a transform, a custom check). */
function inputSchemaOf(toJSONSchema: typeof z.toJSONSchema, schema: z.ZodType): unknown {
  try {
    return toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });
  } catch (error) {
    return { description: `not expressible as JSON Schema: ${(error as Error).message}` };
  }
}

type JsonSchema = {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  default?: unknown;
  enum?: unknown[];
  items?: JsonSchema;
};

const typeOf = (schema: JsonSchema): string =>
  schema.enum !== undefined
    ? schema.enum.map((value) => JSON.stringify(value)).join(' | ')
    : schema.type === 'array'
      ? `${typeOf(schema.items ?? {})}[]`
      : [schema.type ?? 'any'].flat().join(' | ');

/** One line per top-level input field, e.g. `maxIterations: integer = 3`; other schemas as JSON. */
function describeInput(schema: unknown): string[] {
  const { properties, required = [] } = schema as JsonSchema;
  if (properties === undefined) return [JSON.stringify(schema)];
  return Object.entries(properties).map(([name, field]) => {
    const optional = required.includes(name) ? '' : '?';
    const fallback = field.default === undefined ? '' : ` = ${JSON.stringify(field.default)}`;
    return `${name}${optional}: ${typeOf(field)}${fallback}`;
  });
}

/** `ecl definitions`: what the loaded workflow modules register — names, versions, steps, input schemas. */
export function definitionsCommand(): Command {
  return addWorkflowsOption(new Command('definitions'))
    .description('List the workflow definitions the workflow modules register: name, versions, steps and input schema')
    .option('--json', 'print JSON for machines')
    .action(async (options: DefinitionsOptions) => {
      const [{ loadDefinitions }, { z }] = await Promise.all([import('./loadDefinitions.js'), import('zod')]);
      const { registry, sources } = await loadDefinitions(options);
      const definitions = registry.list().sort((a, b) => a.name.localeCompare(b.name) || a.version - b.version);
      const rows = definitions.map((definition) => ({
        name: definition.name,
        version: definition.version,
        description: definition.description,
        module: sources.get(`${definition.name}@${definition.version}`) ?? null,
        steps: definition.structure.steps.map((step) => ({ name: step.name, kind: step.kind })),
        input: inputSchemaOf(z.toJSONSchema, definition.input),
      }));
      if (options.json === true) return printJson({ definitions: rows });
      if (rows.length === 0) {
        console.log('No workflow definitions: pass --workflows <module>, or set "workflows" in ecl.config.json or ECL_WORKFLOWS.');
        return;
      }
      for (const row of rows) {
        console.log(`${row.name} v${row.version}${row.description === '' ? '' : ` — ${row.description}`}`);
        if (row.module !== null) console.log(`  module: ${relative(process.cwd(), row.module) || row.module}`);
        console.log(`  steps:  ${row.steps.map((step) => `${step.name} (${step.kind})`).join(' → ')}`);
        const fields = describeInput(row.input);
        console.log(`  input:  ${fields[0] ?? '{}'}`);
        for (const field of fields.slice(1)) console.log(`          ${field}`);
      }
    });
}
