import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { NEVER } from 'rxjs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openEventStore } from '../../src/eventstore/openEventStore.js';
import type { EventStore } from '../../src/eventstore/index.js';
import { openProjections, type OpenedProjections } from '../../src/projections/index.js';
import { startTestPostgres, type TestPostgres } from '../support/embeddedPostgres.js';
import { briefHistory, type History } from './support/historyBuilder.js';
import { applicationsOf, countApplications, expectEqualToFoldFromScratch } from './support/pgInstruments.js';

let postgres: TestPostgres;
beforeAll(async () => {
  // A killed client is noticed within 100 ms even while its backend sleeps inside a batch.
  postgres = await startTestPostgres({ settings: { client_connection_check_interval: '100ms' } });
}, 120_000);
afterAll(async () => {
  await postgres?.stop();
});

const opened: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const item of opened.splice(0).reverse()) await item.close();
});
const open = async (storeUrl: string): Promise<OpenedProjections> => {
  const projections = await openProjections({ storeUrl });
  opened.push(projections);
  return projections;
};

/** Appends a history a few events at a time, so appends of several writers interleave in the log. */
async function appendInSteps(store: EventStore, history: History): Promise<bigint> {
  let position = 0n;
  for (let from = 0; from < history.events.length; from += 4) {
    const result = await store.append(history.stream, history.events.slice(from, from + 4), { expectedRevision: from - 1 < 0 ? 'no_stream' : from - 1 });
    position = result.position;
  }
  return position;
}

describe('read models in PostgreSQL shared by several nodes', () => {
  it('two runners following one log at once, while two writers append: each event applied once, the checkpoint only moves forward', async () => {
    const url = postgres.schemaUrl('two');
    const one = await open(url);
    const two = await open(url);
    await countApplications(postgres, url);
    one.runner.start();
    two.runner.start();

    const histories = Array.from({ length: 60 }, (_, index) => briefHistory(`pair-${index}`, { revisions: index % 3, finish: index % 5 !== 0 }));
    const writers = [one.store, two.store].map(async (store, writer) => {
      let last = 0n;
      for (const history of histories.filter((_, index) => index % 2 === writer)) {
        const position = await appendInSteps(store, history);
        if (position > last) last = position;
      }
      return last;
    });
    const head = (await Promise.all(writers)).reduce((a, b) => (a > b ? a : b));
    await Promise.all([one.runner.waitFor(head, { timeoutMs: 20_000 }), two.runner.waitFor(head, { timeoutMs: 20_000 })]);

    const total = histories.reduce((sum, history) => sum + history.events.length, 0);
    const applications = await applicationsOf(postgres, url);
    expect(applications).toMatchObject({ n: total, most: 1, least: 1, last: String(head), backwards: [], checkpoint: String(head) });
    await expectEqualToFoldFromScratch(one.store, url, expect);
    // Either node answers the same.
    expect(await two.queries.listWorkflows({ limit: 100 })).toEqual(await one.queries.listWorkflows({ limit: 100 }));
    expect(await two.queries.metricsSummary()).toEqual(await one.queries.metricsSummary());
    expect((await one.queries.listWorkflows({ limit: 100 })).items).toHaveLength(60);
  }, 60_000);

  it("a node's waitFor resolves on another node's batch, announced by NOTIFY, without reading the log itself", async () => {
    const url = postgres.schemaUrl('notify');
    const writer = await open(url);
    writer.runner.start();
    // This node's log follower never receives an event: only the checkpoint's NOTIFY can tell it.
    const deaf = await openEventStore(url);
    opened.push(deaf);
    const listening = await openProjections({ storeUrl: url, store: { ...deaf, subscribeToAll: () => NEVER } });
    opened.push(listening);
    listening.runner.start();
    const history = briefHistory('heard');
    const position = (await writer.store.append(history.stream, history.events, { expectedRevision: 'no_stream' })).position;
    await listening.runner.waitFor(position, { timeoutMs: 5_000 });
    expect(listening.runner.checkpoint()).toBe(position);
    expect((await listening.queries.getStatus('heard'))?.status).toBe('completed');
  });

  it('rebuilt by one node, the others follow the new generation; a rebuild gives the same read models', async () => {
    const url = postgres.schemaUrl('rebuild');
    const one = await open(url);
    const two = await open(url);
    const store = one.store;
    let head = 0n;
    for (let index = 0; index < 10; index += 1) head = await appendInSteps(store, briefHistory(`re-${index}`, { revisions: 1 }));
    await one.runner.catchUp();
    two.runner.start();
    const before = await one.queries.metricsSummary();
    await one.runner.rebuild();
    const after = await appendInSteps(store, briefHistory('re-late'));
    await two.runner.waitFor(after, { timeoutMs: 10_000 });
    expect(after).toBeGreaterThan(head);
    expect((await two.queries.getStatus('re-late'))?.status).toBe('completed');
    expect((await one.queries.metricsSummary()).revisions).toEqual([{ ...before.revisions[0]!, workflows: 11, revisions: 11 }]);
    await expectEqualToFoldFromScratch(store, url, expect);
  });
});

describe('read-model versions in PostgreSQL', () => {
  it('rebuilds from the log when its read models changed, and refuses read models a newer ECL built instead of rebuilding them back', async () => {
    const url = postgres.schemaUrl('versions');
    const s = `"${new URL(url).searchParams.get('schema')!}"`;
    const first = await open(url);
    const position = await appendInSteps(first.store, briefHistory('v-1'));
    await first.runner.catchUp();
    await first.close();
    await postgres.sql(`UPDATE ${s}.projection_checkpoint SET schema = 'status@1,audit@1,metrics@1'; UPDATE ${s}.workflow_status SET status = 'failed'`);

    const older = await open(url);
    expect(older.runner.checkpoint()).toBeNull();
    expect(await older.queries.getStatus('v-1')).toBeUndefined();
    expect(await older.runner.catchUp()).toMatchObject({ checkpoint: position });
    expect((await older.queries.getStatus('v-1'))?.status).toBe('completed');

    await postgres.sql(`UPDATE ${s}.projection_checkpoint SET schema = 'status@99,audit@3,metrics@3'`);
    await expect(openProjections({ storeUrl: url })).rejects.toMatchObject({ code: 'INVALID_STORE_URL', message: expect.stringContaining('status@99') });
  });
});

const CHILD = join(import.meta.dirname, 'support', 'pgCrashChild.ts');

describe('a projection killed mid-batch (PostgreSQL)', () => {
  const children: ChildProcess[] = [];
  afterEach(() => {
    for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });

  /** Runs the child to DONE, or until its batch sleeps inside its transaction (`stalled`), then SIGKILLs it. */
  const runChild = (url: string, stalled?: () => Promise<boolean>): Promise<'DONE' | 'KILLED'> => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, url, '64'], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const watching =
      stalled === undefined
        ? undefined
        : (async () => {
            while (child.exitCode === null && !(await stalled())) await new Promise((resolve) => setTimeout(resolve, 50));
            child.kill('SIGKILL');
          })();
    return new Promise((resolve, reject) =>
      child.on('exit', (code, signal) => {
        void watching;
        if (signal === 'SIGKILL') resolve('KILLED');
        else if (code === 0 && stdout.includes('DONE')) resolve('DONE');
        else reject(new Error(`child exited with ${code ?? signal}: ${stderr}`));
      }),
    );
  };

  it('leaves no half batch: what is applied is exactly the events up to the checkpoint; restarted, it applies each event once', async () => {
    const url = postgres.schemaUrl('crash');
    const s = `"${new URL(url).searchParams.get('schema')!}"`;
    const store = await openEventStore(url);
    opened.push(store);
    let head = 0n;
    let total = 0;
    for (let index = 0; index < 60; index += 1) {
      const history = briefHistory(`crash-${index}`, { revisions: index % 3, finish: index % 4 !== 0 });
      head = (await store.append(history.stream, history.events, { expectedRevision: 'no_stream' })).position;
      total += history.events.length;
    }
    await (await openProjections({ storeUrl: url, store })).close();
    await countApplications(postgres, url);
    // The batch that reaches `crash_at` sleeps after writing its status rows and audit entries, holding its transaction.
    await postgres.sql(`
      CREATE TABLE ${s}.crash_at (position bigint);
      CREATE FUNCTION ${s}.stall() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN IF EXISTS (SELECT 1 FROM new_rows n JOIN ${s}.crash_at c ON n.position >= c.position) THEN PERFORM pg_sleep(25); END IF; RETURN NULL; END $$;
      CREATE TRIGGER stall AFTER INSERT ON ${s}.audit_entries REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ${s}.stall();
    `);
    const sleeping = async () =>
      (await postgres.sql("SELECT 1 FROM pg_stat_activity WHERE wait_event = 'PgSleep' AND application_name = 'ecl-read-models'")).rowCount! > 0;

    for (const crashAt of [100, 333, 517]) {
      await postgres.sql(`DELETE FROM ${s}.crash_at; INSERT INTO ${s}.crash_at VALUES (${crashAt})`);
      expect(await runChild(url, sleeping)).toBe('KILLED');
      // The server notices the dead client and rolls its batch back.
      while (await sleeping()) await new Promise((resolve) => setTimeout(resolve, 50));
      const applied = await applicationsOf(postgres, url);
      const entries = await postgres.sql(`SELECT count(*)::int AS n, max(position)::text AS last FROM ${s}.audit_entries`);
      expect(BigInt(applied.checkpoint ?? 0)).toBeLessThan(BigInt(crashAt));
      expect(entries.rows[0]).toEqual({ n: applied.n, last: applied.checkpoint });
      expect(applied).toMatchObject({ most: applied.n === 0 ? 0 : 1, last: applied.checkpoint, backwards: [] });
    }
    await postgres.sql(`DELETE FROM ${s}.crash_at`);
    expect(await runChild(url)).toBe('DONE');
    expect(await applicationsOf(postgres, url)).toMatchObject({ n: total, most: 1, least: 1, checkpoint: String(head), backwards: [] });
    await expectEqualToFoldFromScratch(store, url, expect);
  }, 120_000);
});
