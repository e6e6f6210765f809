/**
 * Child process of postgresOrdering.int.test.ts: appends from its own pool, as another ECL
 * process would. Usage: node --import tsx postgresOrderingAppender.ts <url> <prefix> <streams> <rounds>
 * Prints the number of events it appended, then exits.
 */
import { randomUUID } from 'node:crypto';
import { openEventStore } from '../../src/eventstore/index.js';

const [url, prefix, streams, rounds] = process.argv.slice(2);
const store = await openEventStore(url!);
let appended = 0;
await Promise.all(
  Array.from({ length: Number(streams) }, async (_, index) => {
    let expected: number | 'no_stream' = 'no_stream';
    for (let round = 0; round < Number(rounds); round++) {
      const batch = Array.from({ length: 1 + ((index + round) % 3) }, () => ({ id: randomUUID(), type: 'Raced', data: { round } }));
      expected = (await store.append(`${prefix}-${index}`, batch, { expectedRevision: expected })).nextExpectedRevision;
      appended += batch.length;
    }
  }),
);
await store.close();
process.stdout.write(`${appended}\n`);
