import { defineWorkflow } from 'ecl-workflows';
import { ResearchInput } from './input.js';
import { answer, gather } from './steps.js';

/** gather (per source: fetch it, take notes on it — each a journaled call) → answer (a model call, then an optional webhook). */
export const research = defineWorkflow({
  name: 'research',
  version: 1,
  description: 'Fetch each source and take notes on it, then answer the question from the notes; every fetch and model call is journaled',
  input: ResearchInput,
  steps: [
    { kind: 'produce', name: 'gather', run: gather },
    { kind: 'produce', name: 'answer', run: answer },
  ],
});
