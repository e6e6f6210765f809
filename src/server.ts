/**
 * `ecl-workflows/server`: start what `ecl serve` starts — the engine (recovered), the read models
 * and the HTTP API — from your own program.
 *
 * @packageDocumentation
 */
export { startServer } from './api/index.js';
export type { RunningServer, StartServerOptions } from './api/index.js';
export { loadWorkflowModules } from './workflows/index.js';
export type { LoadedWorkflowModules } from './workflows/index.js';
