import { createRegistry, type DefinitionRegistry } from '../../src/machines/index.js';
import { brief } from '../../examples/brief/brief.js';
import { serial3 } from '../../bench/_serial3.js';

export { brief } from '../../examples/brief/brief.js';
export { BriefInput, BriefDocument, readInputFiles } from '../../examples/brief/input.js';
export { serial3, Serial3Input } from '../../bench/_serial3.js';

/** The sample (examples/brief) and the benchmark's no-op workflow, as the CLI tests load them with --workflows. */
export const SAMPLE_DEFINITIONS = [brief, serial3] as const;

export const createSampleRegistry = (): DefinitionRegistry => createRegistry(SAMPLE_DEFINITIONS);
