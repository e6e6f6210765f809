import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openEventStore } from '../../src/eventstore/openEventStore.js';
import type { EventStore } from '../../src/eventstore/index.js';
import { createProjectionRunner, openProjectionDatabase } from '../../src/projections/index.js';
import { briefHistory } from './support/historyBuilder.js';
import { dumpReadModels } from './support/projectionSpec.js';

const CHILD = join(import.meta.dirname, 'support', 'crashChild.ts');
const BATCH = 64;

/** Runs the child to its end (`DONE`) or, with `crashAfter`, until it says `MID_BATCH`, then SIGKILLs it by pid. */
function runChild(args: string[], children: ChildProcess[]): Promise<'DONE' | 'KILLED'> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (stdout.includes('MID_BATCH') && child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
    });
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL' && stdout.includes('MID_BATCH')) resolve('KILLED');
      else if (code === 0 && stdout.includes('DONE')) resolve('DONE');
      else reject(new Error(`child exited with ${code ?? signal}: ${stderr}`));
    });
  });
}

describe('projection crash safety', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ecl-projection-crash-'));
  const storePath = join(dir, 'events.db');
  const children: ChildProcess[] = [];
  let store: EventStore;
  let head: bigint;
  let total = 0;
  let positions: bigint[] = [];

  beforeAll(async () => {
    store = await openEventStore(`sqlite:${storePath}`, { synchronous: 'NORMAL' });
    for (let index = 0; index < 120; index += 1) {
      const history = briefHistory(`crash-${index}`, { revisions: index % 3, finish: index % 4 !== 0 });
      head = (await store.append(history.stream, history.events, { expectedRevision: 'no_stream' })).position;
      total += history.events.length;
    }
    positions = (await store.readAll({ limit: total + 1 })).map((event) => event.position);
    return async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    };
  });

  afterEach(() => {
    for (const child of children.splice(0))
      if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
  });

  it('killed mid-batch and restarted, applies every event exactly once and equals a rebuild from zero', async () => {
    const projectionPath = join(dir, 'crash.projections.db');
    // Crash points inside a batch (not multiples of BATCH), counted from each restart.
    for (const crashAfter of [100, 333, 517]) {
      expect(await runChild([storePath, projectionPath, String(BATCH), String(crashAfter)], children)).toBe('KILLED');
      const db = openProjectionDatabase(projectionPath);
      const checkpoint = db.prepare<[], { position: number }>('SELECT position FROM projection_checkpoint').get()?.position ?? 0;
      const rows = db
        .prepare<[], { n: number; most: number; last: number }>('SELECT COUNT(*) AS n, MAX(times) AS most, MAX(position) AS last FROM applications')
        .get();
      // The half-applied batch left nothing behind: applied rows are exactly the events up to the checkpoint.
      expect(rows).toEqual({ n: positions.filter((position) => position <= BigInt(checkpoint)).length, most: 1, last: checkpoint });
      expect(BigInt(checkpoint)).toBeLessThan(head);
      db.close();
    }
    expect(await runChild([storePath, projectionPath, String(BATCH)], children)).toBe('DONE');

    const db = openProjectionDatabase(projectionPath);
    const applications = db
      .prepare<[], { n: number; most: number; least: number }>('SELECT COUNT(*) AS n, MAX(times) AS most, MIN(times) AS least FROM applications')
      .get();
    expect(applications).toEqual({ n: total, most: 1, least: 1 });
    expect(db.prepare<[], { position: number }>('SELECT position FROM projection_checkpoint').get()?.position).toBe(Number(head));
    const recovered = dumpReadModels(db);
    delete recovered.applications;
    db.close();

    const fresh = openProjectionDatabase(':memory:');
    await createProjectionRunner({ store, db: fresh }).rebuild();
    expect(recovered).toEqual(dumpReadModels(fresh));
    expect(Object.keys(recovered)).toContain('workflow_status');
    fresh.close();
  });
});
