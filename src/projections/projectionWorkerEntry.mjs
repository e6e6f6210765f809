// Worker threads do not inherit tsx's loader: when ECL runs from its TypeScript sources, register it, then load the worker.
import { register } from 'tsx/esm/api';

register();
await import('./projectionWorker.ts');
