/**
 * `npm run bench -- api [--commands N] [--connections C] [--workflows M] [--rounds R] [--sse K]`:
 * the HTTP API of `ecl serve` (Fastify, SQLite store with group commit, projections live) measured
 * over real HTTP on 127.0.0.1. The server runs in a worker thread; this thread is the load generator.
 *   1. commands: POST /v1/workflows/:id/events (APPROVE) against N distinct waiting workflows.
 *   2. serial3: POST /v1/workflows, until the projection shows every workflow completed; then
 *      run-and-await, POST /v1/workflows?wait=30 (one request per finished workflow), beside the
 *      same workflows through the engine in the server thread (no HTTP), R rounds (3), the median
 *      reported; and the HTTP floor, a bare Fastify route in the server's thread. M is 10,000 by
 *      default: a run of 3,000 lasts about a second and a half, which a stray process or a GC
 *      pause skews.
 *   3. SSE: K clients follow one workflow; delivery lag = receipt time - the event's recorded time.
 * Writes bench/results/api.json. `--only commands` runs phase 1's 202 run alone, `--only rejected`
 * that and the 409 run, `--only run` the run-and-await phase and its floors (no results file);
 * `--profile <file.cpuprofile>` records a CPU profile of the server thread during the last of them.
 * Each run reports the event-loop utilisation of the server thread and of the load generator, and
 * the CPU time of the whole process (every thread) as cores busy.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { jsonPost, runLoad } from './_httpLoad.js';
import { percentile } from './_stats.js';
import { argNumber } from './_args.js';

const KEY = 'bench-secret-key-0001';
const TENANT = 'bench';

const round = (value: number, digits = 2): number => Number(value.toFixed(digits));
const summary = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return { p50Ms: round(percentile(sorted, 50)), p99Ms: round(percentile(sorted, 99)), maxMs: round(sorted.at(-1) ?? NaN) };
};

interface ServerHandle {
  url: string;
  /** A bare Fastify route in the server's thread: the HTTP floor. */
  bareUrl: string;
  ask<T>(message: object, reply: string): Promise<T>;
  worker: Worker;
}

async function startServerWorker(dir: string): Promise<ServerHandle> {
  const worker = new Worker(new URL('./_apiWorker.mjs', import.meta.url), { workerData: { dir, keys: `bench-key:${KEY}=${TENANT}` } });
  const ask = <T>(message: object, reply: string) =>
    new Promise<T>((resolve, reject) => {
      const onMessage = (data: { type: string }) => {
        if (data.type !== reply) return;
        worker.off('message', onMessage);
        worker.off('error', reject);
        resolve(data as T);
      };
      worker.on('message', onMessage);
      worker.once('error', reject);
      if (Object.keys(message).length > 0) worker.postMessage(message);
    });
  const { url, bareUrl } = await ask<{ url: string; bareUrl: string }>({}, 'ready');
  return { url, bareUrl, ask, worker };
}

/** One JSON request on a keep-alive agent; resolves with the status and the latency in ms. */
function post(agent: Agent, url: URL, path: string, body: string): Promise<{ status: number; ms: number; body: string }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(
      {
        agent,
        host: url.hostname,
        port: url.port,
        method: 'POST',
        path,
        headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - started, body: text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function getJson(url: string, path: string): Promise<any> {
  const response = await fetch(url + path, { headers: { authorization: `Bearer ${KEY}` } });
  return response.json();
}

/**
 * C connections, each sending its next request as soon as the previous one is answered. Requests
 * are built before the clock starts; the event-loop utilisation of both threads shows which one
 * is the bottleneck (a server near 1.0 is saturated; a load generator near 1.0 would be).
 */
async function load(
  server: ServerHandle,
  connections: number,
  count: number,
  next: (index: number) => { path: string; body: string },
  expectStatus: number,
  profile?: string,
) {
  const host = new URL(server.url).host;
  const requests = Array.from({ length: count }, (_, index) => {
    const { path, body } = next(index);
    return jsonPost(host, path, body, `Bearer ${KEY}`);
  });
  await server.ask({ type: 'phase-start', ...(profile === undefined ? {} : { profile }) }, 'phase-started');
  const clientStart = performance.eventLoopUtilization();
  const result = await runLoad({ url: server.url, connections, count, request: (index) => requests[index]! });
  const client = performance.eventLoopUtilization(clientStart).utilization;
  const { utilization, cpuMs } = await server.ask<{ utilization: number; cpuMs: number }>({ type: 'phase-end' }, 'phase-ended');
  const failures = count - (result.statuses.get(expectStatus) ?? 0);
  return {
    requests: count,
    seconds: round(result.seconds, 3),
    perSecond: result.perSecond,
    failures,
    ...summary(result.latenciesMs),
    loopUtilization: { server: round(utilization), loadGenerator: round(client) },
    // All threads of the process (server, projection worker, load generator): on 2 cores, near 2 means the machine is the limit.
    coresBusy: round(cpuMs / 1000 / result.seconds),
    processCpuMsPerRequest: round(cpuMs / count, 3),
  };
}

interface SseClientResult {
  lags: number[];
  transitions: number;
  ended: boolean;
}

/** One SSE follower: records the delivery lag of every live transition after `liveAfter` (epoch ms). */
function follow(url: URL, path: string, liveAfter: () => number): { done: Promise<SseClientResult>; connected: Promise<void> } {
  const result: SseClientResult = { lags: [], transitions: 0, ended: false };
  let connected!: () => void;
  const connectedPromise = new Promise<void>((resolve) => (connected = resolve));
  const done = new Promise<SseClientResult>((resolve, reject) => {
    const req = request(
      { agent: false, host: url.hostname, port: url.port, path, headers: { authorization: `Bearer ${KEY}`, accept: 'text/event-stream' } },
      (res) => {
        connected();
        let buffer = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          const now = Date.now();
          buffer += chunk;
          let split: number;
          while ((split = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, split);
            buffer = buffer.slice(split + 2);
            const event = /^event: (.*)$/m.exec(block)?.[1];
            const data = /^data: (.*)$/m.exec(block)?.[1];
            if (event === 'transition' && data !== undefined) {
              result.transitions += 1;
              const at = Date.parse((JSON.parse(data) as { at: string }).at);
              if (at >= liveAfter()) result.lags.push(now - at);
            } else if (event === 'end') result.ended = true;
          }
        });
        res.on('end', () => resolve(result));
        res.on('close', () => resolve(result));
      },
    );
    req.on('error', reject);
    req.end();
  });
  return { done, connected: connectedPromise };
}

/**
 * serial3 started and awaited in one request each (`?wait=30`), C connections; then the floor, the
 * same number of workflows through the engine in the server thread with C in flight; `rounds`
 * times, interleaved, and the round of median HTTP throughput reported (with every round's
 * figures): one run on a shared VM swings by 10 %. Server busy time per workflow = its thread's
 * event-loop utilisation x the phase's wall time / workflows.
 */
async function runAndAwait(server: ServerHandle, connections: number, workflows: number, rounds: number, profile?: string) {
  const runId = Date.now().toString(36);
  let next = 0;
  const body = () => JSON.stringify({ definition: 'serial3', input: {}, id: `r-${runId}-${next++}` });
  const run = (count: number, conns: number, withProfile?: string) =>
    load(server, conns, count, () => ({ path: '/v1/workflows?wait=30', body: body() }), 201, withProfile);
  // Warm-up, not counted.
  await run(Math.min(1_000, workflows), connections);
  const measured = [];
  for (let index = 0; index < rounds; index++) {
    const http = await run(workflows, connections, index === rounds - 1 ? profile : undefined);
    const engine = await server.ask<{ seconds: number; utilization: number }>(
      { type: 'engine-serial3', count: workflows, inFlight: connections, prefix: `e-${runId}-${index}-` },
      'engine-done',
    );
    measured.push({
      http: { ...http, serverBusyMsPerWorkflow: round((http.loopUtilization.server * http.seconds * 1000) / workflows, 3) },
      engine: {
        workflows,
        seconds: round(engine.seconds, 3),
        perSecond: Math.round(workflows / engine.seconds),
        busyMsPerWorkflow: round((engine.utilization * engine.seconds * 1000) / workflows, 3),
      },
    });
  }
  // Latency when nothing queues: one connection. (At C connections a saturated server answers in
  // about C / throughput, whatever it does per request: Little's law.)
  const alone = await run(500, 1);
  // The HTTP floor: the same requests to a bare Fastify route in the server's thread.
  const bareRun = await load({ ...server, url: server.bareUrl }, connections, workflows, () => ({ path: '/v1/workflows?wait=30', body: body() }), 201);
  const httpFloor = { ...bareRun, serverBusyMsPerRequest: round((bareRun.loopUtilization.server * bareRun.seconds * 1000) / workflows, 3) };
  const byThroughput = [...measured].sort((a, b) => a.http.perSecond - b.http.perSecond);
  const median = byThroughput[Math.floor((byThroughput.length - 1) / 2)]!;
  return {
    ...median,
    oneConnection: alone,
    httpFloor,
    rounds: measured.map(({ http, engine }) => ({
      perSecond: http.perSecond,
      serverBusyMsPerWorkflow: http.serverBusyMsPerWorkflow,
      enginePerSecond: engine.perSecond,
      ratioToEngine: round(http.perSecond / engine.perSecond),
    })),
  };
}

const runRows = (runs: Awaited<ReturnType<typeof runAndAwait>>): Array<[string, string]> => [
  [
    'serial3 run-and-await (?wait=30)',
    `${runs.http.perSecond} workflows/s  p50 ${runs.http.p50Ms} ms  p99 ${runs.http.p99Ms} ms  server ${runs.http.serverBusyMsPerWorkflow} ms/workflow  process ${runs.http.processCpuMsPerRequest} ms CPU/workflow (${runs.http.coresBusy} cores)  failures ${runs.http.failures}`,
  ],
  [
    '  one connection (no queueing)',
    `${runs.oneConnection.perSecond} workflows/s  p50 ${runs.oneConnection.p50Ms} ms  p99 ${runs.oneConnection.p99Ms} ms  failures ${runs.oneConnection.failures}`,
  ],
  [`  every round (${runs.rounds.length}), the median above`, runs.rounds.map((entry) => `${entry.perSecond}/s (${entry.ratioToEngine}x engine)`).join(', ')],
  [
    '  floor: a bare Fastify route',
    `${runs.httpFloor.perSecond} requests/s  ${runs.httpFloor.serverBusyMsPerRequest} ms/request (same body, a constant answer)`,
  ],
  [
    '  floor: the engine, no HTTP',
    `${runs.engine.perSecond} workflows/s  ${runs.engine.busyMsPerWorkflow} ms/workflow; HTTP at ${round(runs.http.perSecond / runs.engine.perSecond)}x its throughput`,
  ],
];

export async function main(args: string[]): Promise<void> {
  const commands = argNumber(args, 'commands', 8_000);
  const connections = argNumber(args, 'connections', 64);
  const workflows = argNumber(args, 'workflows', 10_000);
  const rounds = argNumber(args, 'rounds', 3);
  const sseClients = argNumber(args, 'sse', 1_000);
  const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined;
  const profile = args.includes('--profile') ? args[args.indexOf('--profile') + 1] : undefined;
  const loadAtStart = loadavg().map((value) => round(value, 2));
  const dir = mkdtempSync(join(tmpdir(), 'ecl-bench-api-'));
  const server = await startServerWorker(dir);
  try {
    // 1. Commands against many waiting workflows (plus a warm-up round that is not counted). Together
    // they stay within the engine's default of 10,000 live idle workflows.
    if (only === 'run') {
      console.log('\nbench: api (run-and-await only)', JSON.stringify(await runAndAwait(server, connections, workflows, rounds, profile)));
      return;
    }
    const warmup = 2_000;
    await server.ask({ type: 'seed', count: commands + warmup, prefix: 'g', tenant: TENANT }, 'seeded');
    const approve = JSON.stringify({ type: 'APPROVE' });
    await load(server, connections, warmup, (i) => ({ path: `/v1/workflows/g${commands + i}/events`, body: approve }), 202);
    const commandRun = await load(
      server,
      connections,
      commands,
      (i) => ({ path: `/v1/workflows/g${i}/events`, body: approve }),
      202,
      only === 'rejected' ? undefined : profile,
    );
    if (only === 'commands') {
      console.log('\nbench: api (commands only)', JSON.stringify(commandRun));
      return;
    }
    const rejectedRun = await load(
      server,
      connections,
      commands,
      (i) => ({ path: `/v1/workflows/g${i}/events`, body: approve }),
      409,
      only === 'rejected' ? profile : undefined,
    );
    if (only === 'rejected') {
      console.log('\nbench: api (commands, then rejected)', JSON.stringify(commandRun), JSON.stringify(rejectedRun));
      return;
    }
    // The same against workflows passivated out of memory: each command rehydrates its workflow from the store.
    const cold = Math.min(commands, 5_000);
    await server.ask({ type: 'seed', count: cold, prefix: 'c', tenant: TENANT }, 'seeded');
    await server.ask({ type: 'passivate' }, 'passivated');
    const coldRun = await load(server, connections, cold, (i) => ({ path: `/v1/workflows/c${i}/events`, body: approve }), 202);

    // 2. serial3 create + complete through the API.
    const runId = Date.now().toString(36);
    const before = (await getJson(server.url, '/v1/metrics/summary')).workflows.byDefinition?.serial3?.byStatus?.completed ?? 0;
    const started = performance.now();
    const creates = await load(
      server,
      connections,
      workflows,
      (i) => ({ path: '/v1/workflows', body: JSON.stringify({ definition: 'serial3', input: {}, id: `s3-${runId}-${i}` }) }),
      201,
    );
    for (;;) {
      const done = (await getJson(server.url, '/v1/metrics/summary')).workflows.byDefinition?.serial3?.byStatus?.completed ?? 0;
      if (done - before >= workflows) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const serial3Seconds = (performance.now() - started) / 1000;
    const runs = await runAndAwait(server, connections, workflows, rounds);

    // 3. SSE fan-out: K followers of one ticker workflow; the ticks start after everyone is connected.
    const tickerId = `ticker-${runId}`;
    const created = await post(new Agent(), new URL(server.url), '/v1/workflows', JSON.stringify({ definition: 'ticker', input: { gapMs: 25 }, id: tickerId }));
    if (created.status !== 201) throw new Error(`ticker start failed: ${created.status} ${created.body}`);
    let liveAfter = Number.POSITIVE_INFINITY;
    const base = new URL(server.url);
    const followers: Array<ReturnType<typeof follow>> = [];
    for (let i = 0; i < sseClients; i += 1) {
      followers.push(follow(base, `/v1/workflows/${tickerId}/stream`, () => liveAfter));
      if (i % 100 === 99) await Promise.all(followers.slice(-100).map((f) => f.connected));
    }
    await Promise.all(followers.map((f) => f.connected));
    liveAfter = Date.now();
    const go = await post(new Agent(), base, `/v1/workflows/${tickerId}/events`, approve);
    if (go.status !== 202) throw new Error(`ticker APPROVE failed: ${go.status} ${go.body}`);
    const results = await Promise.all(followers.map((f) => f.done));
    const lags = results.flatMap((r) => r.lags);
    const expectedTransitions = Math.max(...results.map((r) => r.transitions));
    const sse = {
      clients: sseClients,
      transitionsPerClient: expectedTransitions,
      liveTransitionsMeasured: lags.length,
      allClientsGotEverything: results.every((r) => r.ended && r.transitions === expectedTransitions),
      deliveryLag: summary(lags),
    };
    const usage = await server.ask<{ cpu: NodeJS.CpuUsage; rssMiB: number }>({ type: 'usage' }, 'usage');

    const report = {
      date: new Date().toISOString(),
      setup: `ecl serve in a worker thread (Fastify 5, SQLite WAL synchronous=FULL with group commit, projections live in their own worker thread, API keys on); load generator on the same 2-core machine over 127.0.0.1 with ${connections} keep-alive connections`,
      machine: {
        cpus: cpus().length,
        cpuModel: cpus()[0]?.model.split(' ').slice(0, 2).join(' '),
        memoryGiB: Math.round(totalmem() / 2 ** 30),
        node: process.version,
        loadAverageAtStart: loadAtStart,
      },
      commands: { ...commandRun, note: 'APPROVE to N distinct waiting workflows: each 202 is an appended HumanDecisionReceived (+ the workflow completing)' },
      rejectedCommands: {
        ...rejectedRun,
        note: 'the same APPROVE again: 409 EVENT_NOT_ACCEPTED with the final state, nothing appended and nothing read (the engine remembers the final state of finished workflows)',
      },
      passivatedCommands: { ...coldRun, note: 'APPROVE to workflows passivated out of memory: each is rehydrated from the store first' },
      serial3: {
        workflows,
        seconds: round(serial3Seconds, 3),
        workflowsPerSecond: Math.round(workflows / serial3Seconds),
        createP50Ms: creates.p50Ms,
        createP99Ms: creates.p99Ms,
        failures: creates.failures,
      },
      runAndAwait: {
        ...runs,
        note: 'POST /v1/workflows?wait=30: each 201 carries the finished workflow with its output; floor = the same workflows through the engine in the server thread',
      },
      sse,
      serverRssMiB: round(usage.rssMiB, 1),
      targets: {
        commandsPerSecond: { target: '>= 5000', actual: commandRun.perSecond, met: commandRun.perSecond >= 5000 },
        runAndAwaitPerSecond: { target: '>= 2200 (3x Restate over HTTP)', actual: runs.http.perSecond, met: runs.http.perSecond >= 2200 },
        runAndAwaitP50: { target: '<= 2.5 ms (half Restate), at one connection', actual: runs.oneConnection.p50Ms, met: runs.oneConnection.p50Ms <= 2.5 },
      },
    };
    const rows: Array<[string, string]> = [
      ['commands (APPROVE, 202)', `${commandRun.perSecond}/s  p50 ${commandRun.p50Ms} ms  p99 ${commandRun.p99Ms} ms  failures ${commandRun.failures}`],
      ['rejected commands (409)', `${rejectedRun.perSecond}/s  p50 ${rejectedRun.p50Ms} ms  p99 ${rejectedRun.p99Ms} ms`],
      ['commands to passivated workflows', `${coldRun.perSecond}/s  p50 ${coldRun.p50Ms} ms  p99 ${coldRun.p99Ms} ms  failures ${coldRun.failures}`],
      ['serial3 create+complete', `${report.serial3.workflowsPerSecond} workflows/s  (create p50 ${creates.p50Ms} ms, p99 ${creates.p99Ms} ms)`],
      ...runRows(runs),
      [
        `SSE ${sseClients} clients, 1 workflow`,
        `lag p50 ${sse.deliveryLag.p50Ms} ms  p99 ${sse.deliveryLag.p99Ms} ms  max ${sse.deliveryLag.maxMs} ms  complete: ${sse.allClientsGotEverything}`,
      ],
      ['target >= 5000 commands/s', report.targets.commandsPerSecond.met ? 'met' : 'NOT met'],
      ['target run-and-await >= 2200/s', report.targets.runAndAwaitPerSecond.met ? 'met' : 'NOT met'],
      ['target run-and-await p50 <= 2.5 ms (1 conn)', report.targets.runAndAwaitP50.met ? 'met' : 'NOT met'],
    ];
    console.log('\nbench: api');
    for (const [name, value] of rows) console.log(`  ${name.padEnd(32)} ${value}`);
    const results_dir = new URL('./results/', import.meta.url);
    mkdirSync(results_dir, { recursive: true });
    writeFileSync(new URL('api.json', results_dir), `${JSON.stringify(report, null, 2)}\n`);
  } finally {
    await server.ask({ type: 'stop' }, 'stopped').catch(() => undefined);
    await server.worker.terminate();
    rmSync(dir, { recursive: true, force: true });
  }
}
