import { serveScenarios } from './support/serveScenarios.js';
import { startTestServer } from './support/testServer.js';

serveScenarios('SQLite', startTestServer);
