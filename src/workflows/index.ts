import { createRegistry, type DefinitionRegistry } from '../machines/index.js';
import { brief } from './brief/brief.js';
import { serial3 } from './serial3/serial3.js';

export { brief } from './brief/brief.js';
export { BriefInput, BriefDocument } from './brief/briefInput.js';
export { serial3, Serial3Input } from './serial3/serial3.js';

/** The definitions ECL ships with. */
export const BUILT_IN_DEFINITIONS = [brief, serial3] as const;

/** A registry holding the shipped definitions; register your own on it. */
export const createBuiltInRegistry = (): DefinitionRegistry => createRegistry(BUILT_IN_DEFINITIONS);
