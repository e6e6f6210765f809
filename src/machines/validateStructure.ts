import { STEP_KINDS } from './kinds/index.js';
import { DefinitionError, RESERVED_STATE_NAMES, type StepKind, type WorkflowStructure } from './structure.js';

const NAME = /^[A-Za-z][A-Za-z0-9_]*$/;

/** Checks the structure's own rules; throws a DefinitionError naming the offending step. */
export function assertValidStructure(structure: WorkflowStructure): void {
  const fail = (message: string): never => {
    throw new DefinitionError(`Workflow "${structure.name}": ${message}`);
  };
  if (!NAME.test(structure.name)) fail('the name must start with a letter and hold only letters, digits and _');
  if (!Number.isInteger(structure.version) || structure.version < 1) fail('version must be an integer >= 1');
  if (structure.steps.length === 0) fail('needs at least one step');
  const seen = new Set<string>();
  structure.steps.forEach((step, index) => {
    if (!NAME.test(step.name)) fail(`step "${step.name}": names start with a letter and hold only letters, digits and _`);
    if ((RESERVED_STATE_NAMES as readonly string[]).includes(step.name)) fail(`step "${step.name}": the name is reserved`);
    if (seen.has(step.name)) fail(`step "${step.name}" appears twice`);
    seen.add(step.name);
    const kind = (STEP_KINDS as Partial<Record<string, (typeof STEP_KINDS)[StepKind]>>)[step.kind];
    if (kind === undefined) fail(`step "${step.name}": unknown kind ${JSON.stringify(step.kind)}; kinds: ${Object.keys(STEP_KINDS).join(', ')}`);
    kind?.validate?.(structure, step, index, fail);
  });
  const output = structure.output;
  if (output !== undefined && !structure.steps.some((step) => step.name === output && (step.kind === 'produce' || step.kind === 'signal')))
    fail(`output ${JSON.stringify(output)} must name a producing or signal step`);
}
