// Worker threads do not inherit tsx's loader: register it, then load the TypeScript worker (as bin/ecl.js does).
import { register } from 'tsx/esm/api';

register();
await import('./projectionWorker.ts');
