// Worker threads do not inherit tsx's loader: register it here, then load the TypeScript server (as bin/ecl.js does).
import { register } from 'tsx/esm/api';

register();
await import('./_apiServer.ts');
