import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openEventStore } from '../../src/eventstore/index.js';
import { openProjections } from '../../src/projections/index.js';
import { captureLogger } from '../kurrentdb/support/captureLogger.js';
import { briefHistory } from './support/historyBuilder.js';

const { logger, records } = captureLogger();
const rebuilds = () => records.filter((record) => record.message.startsWith('The read models were built from another event log')).length;

/** Writes each workflow's whole history to the SQLite store at `url`, and closes it. */
async function writeStore(url: string, workflowIds: readonly string[]): Promise<void> {
  const store = await openEventStore(url);
  for (const id of workflowIds) {
    const history = briefHistory(id);
    await store.append(history.stream, history.events, { expectedRevision: 'no_stream' });
  }
  await store.close();
}

/** The workflows the read models list after catching up with the store at `url`. */
async function listed(url: string): Promise<string[]> {
  const projections = await openProjections({ storeUrl: url, logger });
  try {
    await projections.runner.catchUp();
    return (await projections.queries.listWorkflows()).items.map((item) => item.workflowId).sort();
  } finally {
    await projections.close();
  }
}

describe('read models built from another log', () => {
  const folders: string[] = [];
  afterEach(() => {
    for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
  });
  const freshFolder = () => {
    const folder = mkdtempSync(join(tmpdir(), 'ecl-another-log-'));
    folders.push(folder);
    return folder;
  };
  const deleteStore = (folder: string) => {
    for (const suffix of ['', '-wal', '-shm']) rmSync(join(folder, `ecl.db${suffix}`), { force: true });
  };

  it('given a store file deleted and made anew beside the old read models, then they are rebuilt from the new log, shorter or longer', async () => {
    const folder = freshFolder();
    const url = `sqlite:${join(folder, 'ecl.db')}`;
    await writeStore(url, ['old-1', 'old-2']);
    expect(await listed(url)).toEqual(['old-1', 'old-2']);
    expect(rebuilds()).toBe(0);

    // A shorter log: the old checkpoint is past its end.
    deleteStore(folder);
    await writeStore(url, ['new-1']);
    expect(await listed(url)).toEqual(['new-1']);
    expect(rebuilds()).toBe(1);

    // A longer log: an event stands at the old checkpoint's position, but not the one applied there.
    deleteStore(folder);
    await writeStore(url, ['other-1', 'other-2', 'other-3']);
    expect(await listed(url)).toEqual(['other-1', 'other-2', 'other-3']);
    expect(rebuilds()).toBe(2);

    // The same log, grown: nothing is rebuilt, the new workflow is applied after the others.
    await writeStore(url, ['other-4']);
    expect(await listed(url)).toEqual(['other-1', 'other-2', 'other-3', 'other-4']);
    expect(rebuilds()).toBe(2);
  });
});
