/**
 * Runs the gRPC test server (NOT KurrentDB: in memory, for tests and local trials) until
 * SIGINT/SIGTERM, printing its store URL on the first line of stdout:
 *   npx tsx test/kurrentdb/support/runFakeKurrentDbServer.ts [--port 2113]
 * then e.g. `ecl serve --store '<url>'` or `npm run bench -- store --store '<url>'`.
 */
import { startFakeKurrentDbServer } from './fakeKurrentDbServer.js';

const at = process.argv.indexOf('--port');
const port = at >= 0 ? Number(process.argv[at + 1]) : undefined;
if (port !== undefined && !Number.isInteger(port)) {
  process.stderr.write('--port needs a number\n');
  process.exit(2);
}
const server = await startFakeKurrentDbServer({ port });
process.stdout.write(`${server.url}\n`);
process.stderr.write('gRPC test server (not KurrentDB) listening; Ctrl-C to stop\n');
const stop = () => {
  void server.close().then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
