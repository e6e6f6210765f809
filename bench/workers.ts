/**
 * `npm run bench -- workers [--workflows N] [--rounds R] [--kills K] [--stops S] [--no-sqlite]`:
 * several ECL processes sharing one store (docs/scaling.md), on an embedded PostgreSQL started by
 * this bench (default durability, a free port of 127.0.0.1, a temporary folder; stopped and removed
 * at the end) and on a shared SQLite file.
 *   1. Scale-out: one `ecl serve` (the API node, where every start is sent) plus N-1 `ecl worker`,
 *      N = 1, 2, 4, each on a fresh schema (or file). serial3 (three no-op steps) started with
 *      `POST /v1/workflows?wait=60` by 64 concurrent clients: workflows/s to completion, and CPU per
 *      workflow of the ECL processes (and of the PostgreSQL server) from /proc/<pid>/stat. The floor
 *      is N = 1, measured in the same run: the other rows are ratios to it.
 *   2. Failover (PostgreSQL and SQLite, default TTL 4 s): one `ecl serve` and two `ecl worker`;
 *      `brief` workflows whose first model call (scripted) hangs until aborted, so steps are in
 *      flight. A worker that drives some of them is SIGKILLed (eviction by pid, one heartbeat) or
 *      SIGSTOPped (the TTL path; SIGKILLed afterwards), then replaced; the failover time is from the
 *      signal to the first `StepStarted` (attempt 2) of one of its workflows recorded by another
 *      process, as the store dated it; "all moved" is to the last of them.
 * Writes bench/results/workers.json. Every process is ended by its own pid.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { type EventStore, openEventStore, workflowStream } from '../src/eventstore/index.js';
import { startTestPostgres, type TestPostgres } from '../test/support/embeddedPostgres.js';
import { percentile, median, cpuMs, cpuOfProcessesMs } from './_stats.js';
import { argNumber } from './_args.js';

const KEY = 'bench-workers-key-0001';
const TENANT = 'bench';
let IN_FLIGHT = 64;
const ROOT = resolve(import.meta.dirname, '..');
const BIN = join(ROOT, 'bin/ecl.js');
const WORKFLOWS = [join(ROOT, 'examples/brief/brief.ts'), join(ROOT, 'bench/_serial3.ts')].join(',');
const BRIEF_INPUT = {
  instructions: 'Summarise the pilot.',
  documents: [{ name: 'pilot.md', text: 'The pilot ran for six weeks. Adoption reached 72 percent.' }],
};

const round = (value: number, digits = 2): number => Number(value.toFixed(digits));
const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

async function until(probe: () => boolean | Promise<boolean>, what: string, limitMs: number, everyMs = 25): Promise<void> {
  const started = Date.now();
  while (!(await probe())) {
    if (Date.now() - started > limitMs) throw new Error(`Timed out (${limitMs} ms) waiting for ${what}`);
    await sleep(everyMs);
  }
}

interface EclProcess {
  name: string;
  pid: number;
  child: ChildProcess;
  output(): string;
  exited: Promise<void>;
  url?: string;
}

const started = new Set<EclProcess>();

/** `ecl serve` (with an API on a free port) or `ecl worker`; resolves once it has recovered (and listens). */
async function startEcl(
  kind: 'serve' | 'worker',
  name: string,
  store: string,
  dir: string,
  llm: string,
  env: Record<string, string> = {},
): Promise<EclProcess> {
  const args = [kind, '--store', store, '--llm', llm, '--artifacts', join(dir, 'artifacts')];
  if (kind === 'serve') args.push('--port', '0', '--projections', join(dir, `${name}.projections.db`));
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: dir,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? dir,
      NODE_OPTIONS: '',
      ECL_WORKFLOWS: WORKFLOWS,
      ECL_LOG_LEVEL: 'warn',
      ECL_API_KEYS: `bench:${KEY}=${TENANT}`,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk.slice(0, 4_000)));
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const proc: EclProcess = { name, pid: child.pid!, child, output: () => stdout, exited };
  started.add(proc);
  void exited.then(() => started.delete(proc));
  await until(
    () => {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${name} exited before it was ready: ${stderr}`);
      return /Recovered: /.test(stdout);
    },
    `${name} to start`,
    90_000,
  );
  if (kind === 'serve') proc.url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout)?.[1];
  return proc;
}

/** SIGTERM by pid (then SIGKILL after 10 s); resolves once it has exited. */
async function stop(proc: EclProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (proc.child.exitCode !== null || proc.child.signalCode !== null) return;
  process.kill(proc.pid, signal);
  const timer = setTimeout(() => {
    if (proc.child.exitCode === null && proc.child.signalCode === null) process.kill(proc.pid, 'SIGKILL');
  }, 10_000);
  await proc.exited;
  clearTimeout(timer);
}

async function api(url: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const response = await fetch(url + path, {
    method,
    headers: { authorization: `Bearer ${KEY}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: await response.json() };
}

interface Workers {
  partitions: number;
  unowned: number[];
  workers: { pid: number; live: boolean; role: string; partitions: number[] }[];
}

/** Until `count` live workers hold every partition, each at most its fair share. */
async function balanced(url: string, count: number, limitMs = 60_000): Promise<void> {
  await until(
    async () => {
      const { body } = (await api(url, 'GET', '/v1/workers')) as { body: Workers };
      const live = body.workers.filter((worker) => worker.live && worker.role === 'worker');
      const share = Math.ceil(body.partitions / count);
      return live.length === count && body.unowned.length === 0 && live.every((worker) => worker.partitions.length > 0 && worker.partitions.length <= share);
    },
    `${count} balanced workers`,
    limitMs,
    200,
  );
}

interface Store {
  kind: 'postgres' | 'sqlite';
  /** A fresh store URL (schema or file) for one topology. */
  fresh(dir: string): string;
  serverPids(): Promise<number[]>;
}

/** `count` serial3 workflows through `?wait=`, IN_FLIGHT at a time; throws unless each completed. */
async function runSerial3(url: string, count: number): Promise<number[]> {
  let next = 0;
  const latencies: number[] = [];
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < count) {
        next++;
        const at = performance.now();
        const { status, body } = await api(url, 'POST', '/v1/workflows?wait=60', { definition: 'serial3', input: {} });
        if ((status !== 200 && status !== 201) || body.status !== 'completed')
          throw new Error(`serial3 answered ${status} ${JSON.stringify(body).slice(0, 300)}`);
        latencies.push(performance.now() - at);
      }
    }),
  );
  return latencies.sort((a, b) => a - b);
}

interface ScaleRow {
  processes: number;
  rounds: number[];
  workflowsPerSecond: number;
  /** Start to completion through `?wait=`, median of the rounds' p50. */
  p50Ms: number;
  eclCpuMsPerWorkflow: number;
  serverCpuMsPerWorkflow: number | null;
  loadGeneratorCpuMsPerWorkflow: number;
  /** CPU share of each ECL process in the last round (API node first). */
  cpuSharePerProcess: number[];
}

async function scaleOut(store: Store, base: string, processes: number, workflows: number, rounds: number): Promise<ScaleRow> {
  const dir = mkdtempSync(join(base, `n${processes}-`));
  const url = store.fresh(dir);
  const procs: EclProcess[] = [];
  try {
    procs.push(await startEcl('serve', 'api', url, dir, 'offline'));
    procs.push(...(await Promise.all(Array.from({ length: processes - 1 }, (_, index) => startEcl('worker', `worker${index + 1}`, url, dir, 'offline')))));
    const apiUrl = procs[0]!.url!;
    await balanced(apiUrl, processes);
    await runSerial3(apiUrl, Math.min(200, workflows));
    const pids = procs.map((proc) => proc.pid);
    const measured: { perSecond: number; p50: number; ecl: number; server: number | null; generator: number; shares: number[] }[] = [];
    for (let index = 0; index < rounds; index++) {
      const serverPids = await store.serverPids();
      const before = pids.map((pid) => cpuOfProcessesMs([pid]));
      const [server, generator, at] = [cpuOfProcessesMs(serverPids), cpuMs(), performance.now()];
      const latencies = await runSerial3(apiUrl, workflows);
      const seconds = (performance.now() - at) / 1000;
      const used = pids.map((pid, at2) => cpuOfProcessesMs([pid]) - before[at2]!);
      const total = used.reduce((sum, value) => sum + value, 0);
      measured.push({
        perSecond: workflows / seconds,
        p50: percentile(latencies, 50),
        ecl: total / workflows,
        server: serverPids.length === 0 ? null : (cpuOfProcessesMs(serverPids) - server) / workflows,
        generator: (cpuMs() - generator) / workflows,
        shares: used.map((value) => round(value / Math.max(1, total))),
      });
    }
    return {
      processes,
      rounds: measured.map((m) => round(m.perSecond, 0)),
      workflowsPerSecond: round(median(measured.map((m) => m.perSecond)), 0),
      p50Ms: round(median(measured.map((m) => m.p50)), 1),
      eclCpuMsPerWorkflow: round(median(measured.map((m) => m.ecl))),
      serverCpuMsPerWorkflow: measured[0]!.server === null ? null : round(median(measured.map((m) => m.server!))),
      loadGeneratorCpuMsPerWorkflow: round(median(measured.map((m) => m.generator))),
      cpuSharePerProcess: measured.at(-1)!.shares,
    };
  } finally {
    for (const proc of procs.reverse()) await stop(proc);
  }
}

interface FailoverSample {
  signal: 'SIGKILL' | 'SIGSTOP';
  affected: number;
  firstMs: number;
  allMovedMs: number;
  /** Its workflows that moved more than 2 s after the signal (more than one heartbeat). */
  lateCount: number;
  /** When this process saw the first takeover in the store (polling every 25 ms). */
  observedFirstMs: number;
}

interface LoggedCall {
  workflowId: string;
  step: string;
  attempt: number;
}

const readCalls = (file: string): LoggedCall[] =>
  existsSync(file)
    ? readFileSync(file, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as LoggedCall)
    : [];

async function failover(store: Store, base: string, kills: number, stops: number): Promise<FailoverSample[]> {
  const dir = mkdtempSync(join(base, 'failover-'));
  const url = store.fresh(dir);
  const script = join(dir, 'script.json');
  writeFileSync(script, JSON.stringify({ steps: { extract: [{ attempt: 1, text: 'held', holdMs: 'untilAborted' }] }, fallback: 'offline' }));
  const llm = `script:${script}`;
  const callsOf = (name: string) => join(dir, `calls-${name}.jsonl`);
  let serial = 0;
  const newWorker = () => {
    const name = `worker${++serial}`;
    return startEcl('worker', name, url, dir, llm, { ECL_SCRIPT_CALL_LOG: callsOf(name) });
  };
  const apiNode = await startEcl('serve', 'api', url, dir, llm, { ECL_SCRIPT_CALL_LOG: callsOf('api') });
  const workers = await Promise.all([newWorker(), newWorker()]);
  const reader: EventStore = await openEventStore(url);
  const samples: FailoverSample[] = [];
  try {
    const signals: ('SIGKILL' | 'SIGSTOP')[] = [...Array<'SIGKILL'>(kills).fill('SIGKILL'), ...Array<'SIGSTOP'>(stops).fill('SIGSTOP')];
    for (const [index, signal] of signals.entries()) {
      await balanced(apiNode.url!, 3);
      const ids = Array.from({ length: 9 }, (_, at) => `fo-${index}-${at}`);
      for (const id of ids) {
        const { status } = await api(apiNode.url!, 'POST', '/v1/workflows', { definition: 'brief', input: BRIEF_INPUT, id });
        if (status !== 201) throw new Error(`start ${id}: ${status}`);
      }
      // Who drives which: the process whose model call for extract (attempt 1) is hanging.
      const drivers = new Map<string, string>();
      await until(
        () => {
          for (const proc of [apiNode, ...workers])
            for (const call of readCalls(callsOf(proc.name)))
              if (call.step === 'extract' && call.attempt === 1) drivers.set(call.workflowId.replace(`${TENANT}:`, ''), proc.name);
          return ids.every((id) => drivers.has(id));
        },
        'every held extract call',
        30_000,
      );
      const victim = workers
        .map((worker) => ({ worker, owned: ids.filter((id) => drivers.get(id) === worker.name) }))
        .sort((a, b) => b.owned.length - a.owned.length)[0]!;
      if (victim.owned.length === 0) continue;
      // The runs start right after a heartbeat rebalanced the cluster: a random pause keeps the signal out of step with the heartbeats.
      await sleep(Math.random() * 1_000);
      const signalled = Date.now();
      process.kill(victim.worker.pid, signal);
      const moved = new Map<string, number>();
      let observedFirst: number | undefined;
      await until(
        async () => {
          for (const id of victim.owned) {
            if (moved.has(id)) continue;
            const records = await reader.readStream(workflowStream(`${TENANT}:${id}`));
            const again = records.find(
              (record) =>
                record.type === 'StepStarted' &&
                (record.data as { step: string; attempt: number }).attempt >= 2 &&
                (record.data as { step: string }).step === 'extract',
            );
            if (again !== undefined) {
              moved.set(id, again.created.getTime());
              observedFirst ??= Date.now();
            }
          }
          return moved.size === victim.owned.length;
        },
        `the workflows of ${victim.worker.name} to run elsewhere after ${signal}`,
        30_000,
      );
      const times = [...moved.values()];
      samples.push({
        signal,
        affected: victim.owned.length,
        firstMs: Math.min(...times) - signalled,
        allMovedMs: Math.max(...times) - signalled,
        lateCount: times.filter((time) => time - signalled > 2_000).length,
        observedFirstMs: observedFirst! - signalled,
      });
      if (signal === 'SIGSTOP') process.kill(victim.worker.pid, 'SIGKILL');
      await victim.worker.exited;
      workers.splice(workers.indexOf(victim.worker), 1, await newWorker());
    }
  } finally {
    await reader.close();
    for (const proc of [...workers, apiNode]) await stop(proc);
  }
  return samples;
}

function summarise(samples: readonly FailoverSample[], signal: FailoverSample['signal']) {
  const of = samples.filter((sample) => sample.signal === signal);
  if (of.length === 0) return null;
  const first = of.map((sample) => sample.firstMs).sort((a, b) => a - b);
  const all = of.map((sample) => sample.allMovedMs).sort((a, b) => a - b);
  return {
    runs: of.length,
    firstP50Ms: percentile(first, 50),
    firstMaxMs: first.at(-1)!,
    allMovedP50Ms: percentile(all, 50),
    allMovedMaxMs: all.at(-1)!,
    samples: of.map(({ affected, firstMs, allMovedMs, lateCount, observedFirstMs }) => ({ affected, firstMs, allMovedMs, lateCount, observedFirstMs })),
  };
}

export async function main(args: string[]): Promise<void> {
  const workflows = argNumber(args, 'workflows', 1_000);
  const rounds = argNumber(args, 'rounds', 2);
  const kills = argNumber(args, 'kills', 5);
  const stops = argNumber(args, 'stops', 3);
  const withSqlite = !args.includes('--no-sqlite');
  const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined;
  IN_FLIGHT = argNumber(args, 'in-flight', 64);
  const benchStarted = performance.now();
  const loadBefore = loadavg().map((value) => round(value));
  const base = mkdtempSync(join(tmpdir(), 'ecl-bench-workers-'));
  let server: TestPostgres | undefined;
  const results: Record<string, unknown> = {};
  const cleanup = () => {
    for (const proc of started) if (proc.child.exitCode === null && proc.child.signalCode === null) process.kill(proc.pid, 'SIGKILL');
  };
  process.once('SIGINT', cleanup);
  try {
    server = await startTestPostgres({ durable: true });
    const pg = server;
    const stores: Store[] = [
      {
        kind: 'postgres',
        fresh: () => pg.schemaUrl('workers'),
        serverPids: async () => (await pg.sql('SELECT pid FROM pg_stat_activity')).rows.map((row) => row.pid as number),
      },
    ];
    if (withSqlite) stores.push({ kind: 'sqlite', fresh: (dir) => `sqlite:${join(dir, 'ecl.db')}`, serverPids: async () => [] });
    const version = ((await pg.sql('SHOW server_version')).rows[0] as { server_version: string }).server_version;
    results.postgres = version;

    console.log(
      `\nworkers (serial3 through one ecl serve + N-1 ecl worker, ${IN_FLIGHT} clients with ?wait=, ${workflows} workflows x ${rounds} rounds; floor: N = 1)`,
    );
    for (const store of only === 'failover' ? [] : stores) {
      const rows: ScaleRow[] = [];
      for (const processes of [1, 2, 4]) rows.push(await scaleOut(store, base, processes, workflows, rounds));
      const floor = rows[0]!;
      const scaled = rows.map((row) => ({
        ...row,
        throughputVsOneProcess: round(row.workflowsPerSecond / floor.workflowsPerSecond),
        cpuVsOneProcess: round(row.eclCpuMsPerWorkflow / floor.eclCpuMsPerWorkflow),
      }));
      results[`scaleOut_${store.kind}`] = scaled;
      console.log(`  ${store.kind === 'postgres' ? `PostgreSQL ${version} (fsync on)` : 'SQLite file (synchronous=FULL)'}`);
      console.log(
        `    ${'N'.padStart(3)} ${'workflows/s'.padStart(12)} ${'x N=1'.padStart(6)} ${'p50 ms'.padStart(7)} ${'ECL CPU ms/wf'.padStart(14)} ${'x N=1'.padStart(6)} ${'server ms/wf'.padStart(13)}   rounds; CPU share per process`,
      );
      for (const row of scaled)
        console.log(
          `    ${String(row.processes).padStart(3)} ${String(row.workflowsPerSecond).padStart(12)} ${`${row.throughputVsOneProcess}x`.padStart(6)} ${String(row.p50Ms).padStart(7)} ${String(row.eclCpuMsPerWorkflow).padStart(14)} ${`${row.cpuVsOneProcess}x`.padStart(6)} ${String(row.serverCpuMsPerWorkflow ?? '-').padStart(13)}   ${row.rounds.join(', ')}; ${row.cpuSharePerProcess.join(' / ')}`,
        );
    }

    console.log(`\n  failover (ecl serve + 2 ecl worker, default TTL 4 s, 9 brief workflows held in their first model call per run)`);
    console.log(
      `    ${'store'.padEnd(9)} ${'signal'.padEnd(8)} ${'runs'.padStart(4)} ${'first p50 / max'.padStart(18)} ${'all moved p50 / max'.padStart(20)}   per run: first ms (workflows, moved after > 2 s)`,
    );
    for (const store of only === 'scale' ? [] : stores) {
      const samples = await failover(store, base, kills, stops);
      const summary = { evictionBySigkill: summarise(samples, 'SIGKILL'), ttlBySigstop: summarise(samples, 'SIGSTOP') };
      results[`failover_${store.kind}`] = summary;
      for (const [signal, row] of [
        ['SIGKILL', summary.evictionBySigkill],
        ['SIGSTOP', summary.ttlBySigstop],
      ] as const)
        if (row !== null)
          console.log(
            `    ${store.kind.padEnd(9)} ${signal.padEnd(8)} ${String(row.runs).padStart(4)} ${`${row.firstP50Ms} / ${row.firstMaxMs} ms`.padStart(18)} ${`${row.allMovedP50Ms} / ${row.allMovedMaxMs} ms`.padStart(20)}   ${row.samples.map((sample) => `${sample.firstMs} (${sample.affected} wf, ${sample.lateCount} > 2 s)`).join(', ')}`,
          );
    }
  } finally {
    cleanup();
    process.off('SIGINT', cleanup);
    await server?.stop();
    rmSync(base, { recursive: true, force: true });
  }
  const seconds = round((performance.now() - benchStarted) / 1000, 0);
  const loadAfter = loadavg().map((value) => round(value));
  console.log(`\n  ${cpus().length} cores; load average ${loadBefore.join(' ')} → ${loadAfter.join(' ')}; ${seconds} s in all`);
  const out = join(import.meta.dirname, 'results');
  mkdirSync(out, { recursive: true });
  writeFileSync(
    join(out, 'workers.json'),
    `${JSON.stringify(
      {
        date: new Date().toISOString(),
        topology: 'one ecl serve (all starts, ?wait=) + N-1 ecl worker; failover: ecl serve + 2 ecl worker, default lease TTL',
        machine: {
          cpus: cpus().length,
          cpuModel: cpus()[0]?.model ?? '',
          memoryGiB: Math.round(totalmem() / 2 ** 30),
          node: process.version,
          platform: `${process.platform}-${process.arch}`,
        },
        loadAverage: { before: loadBefore, after: loadAfter },
        seconds,
        workflows,
        rounds,
        inFlight: IN_FLIGHT,
        ...results,
      },
      null,
      2,
    )}\n`,
  );
}
