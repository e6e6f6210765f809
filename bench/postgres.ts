/**
 * `npm run bench -- postgres [--workflows N]`: serial3 (three no-op steps, each outcome durably
 * appended before the next step starts) on the PostgreSQL store, beside two raw floors on the same
 * server in the same run: one INSERT transaction per step, and the same rows with group commit
 * (each step of all in-flight workflows in one transaction). The server is an embedded
 * PostgreSQL 18 with its default durability (fsync on, synchronous_commit on), or the one in
 * ECL_PG_URL. Writes bench/results/postgres.json.
 * Reference on this machine: DBOS on PostgreSQL ran ~233 workflows/s, p50 ~11 ms, ~7 ms CPU/workflow.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { type Engine, createEngine } from '../src/actors/index.js';
import { createMemoryArtifactStore } from '../src/artifacts/index.js';
import { type EventStore, openEventStore } from '../src/eventstore/index.js';
import { createOfflineProvider } from '../src/llm/index.js';
import { createRegistry } from '../src/machines/index.js';
import { startTestPostgres } from '../test/support/embeddedPostgres.js';
import { serial3 } from './_serial3.js';
import { percentile, median, cpuMs, cpuOfProcessesMs } from './_stats.js';
import { argNumber } from './_args.js';
import { silentLogger } from './_silentLogger.js';

const SEQUENTIAL_RUNS = 200;
const IN_FLIGHT = 64;
const STEPS = ['one', 'two', 'three'] as const;

const round = (value: number, digits = 2): number => Number(value.toFixed(digits));

function makeEngine(store: EventStore): Engine {
  return createEngine({
    store,
    llm: createOfflineProvider(),
    artifacts: createMemoryArtifactStore(),
    logger: silentLogger(),
    definitions: createRegistry([serial3]),
  });
}

async function runOne(engine: Engine): Promise<void> {
  const { workflowId } = await engine.start('serial3', {});
  const view = await engine.settled(workflowId);
  if (view.status !== 'completed') throw new Error(`${workflowId} ended ${view.status}`);
}

/** Raw floors: serial3's rows written with plain `pg`, no engine, no adapter. */
interface Floor {
  /** One workflow: a stream row then one INSERT transaction per step. Returns ms. */
  oneTransactionPerStep(): Promise<number>;
  /** `inFlight` workflows: their stream rows, then each step of all of them in one transaction. Returns ms. */
  groupCommit(inFlight: number): Promise<number>;
  close(): Promise<void>;
}

async function createFloor(url: string): Promise<Floor> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query(`CREATE SCHEMA floor;
    CREATE TABLE floor.streams (stream_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL UNIQUE, head integer NOT NULL);
    CREATE TABLE floor.events (position bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, stream_id bigint NOT NULL, revision integer NOT NULL,
      id uuid NOT NULL, type text NOT NULL, data text NOT NULL, metadata text NOT NULL, created timestamptz NOT NULL, UNIQUE (stream_id, revision))`);
  const dataOf = (step: string) => JSON.stringify({ v: 1, step, iteration: 1, attempt: 1, output: null });
  const newStreams = async (count: number): Promise<string[]> =>
    (
      await client.query<{ stream_id: string }>('INSERT INTO floor.streams (name, head) SELECT unnest($1::text[]), -1 RETURNING stream_id', [
        Array.from({ length: count }, () => `floor-${randomUUID()}`),
      ])
    ).rows.map((row) => row.stream_id);
  const insert = 'INSERT INTO floor.events (stream_id, revision, id, type, data, metadata, created) VALUES ($1, $2, $3, $4, $5, $6, now())';
  const insertMany =
    'INSERT INTO floor.events (stream_id, revision, id, type, data, metadata, created) ' +
    'SELECT s, $2, gen_random_uuid(), $3, $4, $5, now() FROM unnest($1::bigint[]) AS s';
  return {
    async oneTransactionPerStep() {
      const started = performance.now();
      const [stream] = await newStreams(1);
      for (const [index, step] of STEPS.entries())
        await client.query({ name: 'floor1', text: insert, values: [stream, index, randomUUID(), 'StepCompleted', dataOf(step), '{}'] });
      return performance.now() - started;
    },
    async groupCommit(inFlight) {
      const started = performance.now();
      const streams = await newStreams(inFlight);
      for (const [index, step] of STEPS.entries())
        await client.query({ name: 'floorN', text: insertMany, values: [streams, index, 'StepCompleted', dataOf(step), '{}'] });
      return performance.now() - started;
    },
    close: () => client.end(),
  };
}

export async function main(args: string[]): Promise<void> {
  const workflows = argNumber(args, 'workflows', 2_000);
  const loadBefore = loadavg().map((value) => round(value));
  const server = await startTestPostgres({ durable: true });
  const results: Record<string, unknown> = {};
  let store: EventStore | undefined;
  let floor: Floor | undefined;
  try {
    store = await openEventStore(server.schemaUrl('bench'));
    floor = await createFloor(server.url);
    const engine = makeEngine(store);
    const version = (await server.sql('SHOW server_version')).rows[0] as { server_version: string };

    for (let index = 0; index < 100; index++) await runOne(engine);
    for (let index = 0; index < 100; index++) await floor.oneTransactionPerStep();

    // 1. One workflow after another, interleaved with the floor so both see the same load.
    const ours: number[] = [];
    const oneTx: number[] = [];
    for (let index = 0; index < SEQUENTIAL_RUNS; index++) {
      const started = performance.now();
      await runOne(engine);
      ours.push(performance.now() - started);
      oneTx.push(await floor.oneTransactionPerStep());
    }
    ours.sort((a, b) => a - b);
    oneTx.sort((a, b) => a - b);
    const sequential = {
      runs: SEQUENTIAL_RUNS,
      p50Ms: round(percentile(ours, 50)),
      p99Ms: round(percentile(ours, 99)),
      floorOneTransactionPerStepP50Ms: round(percentile(oneTx, 50)),
    };

    // 2. Throughput with 64 in flight: three measured rounds (after one unmeasured), each beside a
    // round of the group-commit floor; CPU of this process and of the server per workflow.
    // Every process of this server (backends, WAL writer, checkpointer…), as it lists them itself.
    const serverPids = async () => (await server.sql('SELECT pid FROM pg_stat_activity')).rows.map((row) => row.pid as number);
    const engineRound = async (count: number) => {
      let next = 0;
      const pids = await serverPids();
      const [cpu, serverCpu, started] = [cpuMs(), cpuOfProcessesMs(pids), performance.now()];
      await Promise.all(
        Array.from({ length: IN_FLIGHT }, async () => {
          while (next < count) {
            next++;
            await runOne(engine);
          }
        }),
      );
      const seconds = (performance.now() - started) / 1000;
      return { perSecond: count / seconds, cpuMsPerWorkflow: (cpuMs() - cpu) / count, serverCpuMsPerWorkflow: (cpuOfProcessesMs(pids) - serverCpu) / count };
    };
    const batches = Math.ceil(workflows / IN_FLIGHT);
    const floorRound = async (): Promise<number> => {
      let ms = 0;
      for (let index = 0; index < batches; index++) ms += await floor!.groupCommit(IN_FLIGHT);
      return (batches * IN_FLIGHT) / (ms / 1000);
    };
    await engineRound(Math.ceil(workflows / 2));
    await floorRound();
    const rounds: Array<Awaited<ReturnType<typeof engineRound>>> = [];
    const floorRounds: number[] = [];
    for (let measured = 0; measured < 3; measured++) {
      rounds.push(await engineRound(workflows));
      floorRounds.push(await floorRound());
    }
    await engine.close();
    const throughput = {
      workflows,
      inFlight: IN_FLIGHT,
      rounds: rounds.map((r) => round(r.perSecond, 0)),
      workflowsPerSecond: round(median(rounds.map((r) => r.perSecond)), 0),
      cpuMsPerWorkflow: round(median(rounds.map((r) => r.cpuMsPerWorkflow))),
      serverCpuMsPerWorkflow: round(median(rounds.map((r) => r.serverCpuMsPerWorkflow))),
      floorOneTransactionPerStepWorkflowsPerSecond: round(1000 / percentile(oneTx, 50), 0),
      floorGroupCommitWorkflowsPerSecond: round(median(floorRounds), 0),
    };
    const ratios = {
      p50VsOneTransactionPerStep: round(sequential.p50Ms / sequential.floorOneTransactionPerStepP50Ms),
      throughputVsOneTransactionPerStep: round(throughput.workflowsPerSecond / throughput.floorOneTransactionPerStepWorkflowsPerSecond),
      throughputVsGroupCommitFloor: round(throughput.workflowsPerSecond / throughput.floorGroupCommitWorkflowsPerSecond, 3),
      throughputVsDbos: round(throughput.workflowsPerSecond / 233),
    };
    Object.assign(results, { server: version.server_version, sequential, throughput, ratios });

    const rows: [string, string, string][] = [
      [
        'serial3 p50 / p99, one after another',
        `${sequential.p50Ms} / ${sequential.p99Ms} ms`,
        `${ratios.p50VsOneTransactionPerStep}x 1-tx-per-step floor (${sequential.floorOneTransactionPerStepP50Ms} ms); DBOS ~11 ms`,
      ],
      [
        `workflows/s, ${workflows} with ${IN_FLIGHT} in flight`,
        `${throughput.workflowsPerSecond}`,
        `median of ${throughput.rounds.join(', ')}; ${ratios.throughputVsGroupCommitFloor}x group-commit floor (${throughput.floorGroupCommitWorkflowsPerSecond}/s); ${ratios.throughputVsOneTransactionPerStep}x 1-tx floor (${throughput.floorOneTransactionPerStepWorkflowsPerSecond}/s); ${ratios.throughputVsDbos}x DBOS (~233/s)`,
      ],
      ['CPU per workflow (this process / server)', `${throughput.cpuMsPerWorkflow} / ${throughput.serverCpuMsPerWorkflow} ms`, 'DBOS ~7 ms'],
    ];
    console.log(
      `\npostgres (serial3 on PostgreSQL ${version.server_version}, fsync on, group commit; load average ${loadBefore.join(' ')} → ${loadavg()
        .map((value) => value.toFixed(2))
        .join(' ')} on ${cpus().length} cores)`,
    );
    for (const [name, value, note] of rows) console.log(`  ${name.padEnd(42)} ${value.padStart(18)}   ${note}`);
  } finally {
    await floor?.close();
    await store?.close();
    await server.stop();
  }
  const out = join(import.meta.dirname, 'results');
  mkdirSync(out, { recursive: true });
  writeFileSync(
    join(out, 'postgres.json'),
    `${JSON.stringify({ date: new Date().toISOString(), store: 'postgres (embedded, fsync on, group commit)', machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? '', memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version, platform: `${process.platform}-${process.arch}` }, ...results }, null, 2)}\n`,
  );
}
