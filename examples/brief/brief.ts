import { defineWorkflow } from 'ecl-workflows';
import { BriefInput, readInputFiles } from './input.js';
import { BriefOutputs, draft, extract, load, review } from './steps.js';

/** extract → draft → review (loop back to draft up to maxIterations, then onCap) → optional approval → load. */
export const brief = defineWorkflow({
  name: 'brief',
  version: 1,
  description: 'Extract facts from documents, draft a brief, review it in a bounded loop, load it into the artifact store',
  input: BriefInput,
  loadInput: readInputFiles,
  outputs: BriefOutputs,
  steps: [
    { kind: 'produce', name: 'extract', run: extract },
    { kind: 'produce', name: 'draft', run: draft },
    { kind: 'validate', name: 'review', run: review, maxIterations: (input) => input.maxIterations, onCap: (input) => input.onCap },
    { kind: 'approval', name: 'approval', when: (input) => input.approval, revises: 'draft' },
    { kind: 'produce', name: 'load', run: load },
  ],
});
