/**
 * The server half of bench/api.ts, in a worker thread so the load generator does not share its
 * event loop: `ecl serve` (startServer) on SQLite in a temp folder, with two bench definitions.
 */
import { Session } from 'node:inspector/promises';
import { writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import { setTimeout as sleep } from 'node:timers/promises';
import Fastify from 'fastify';
import { z } from 'zod';
import { startServer } from '../src/api/index.js';
import { createMemoryArtifactStore } from '../src/artifacts/index.js';
import { createOfflineProvider } from '../src/llm/index.js';
import { createRegistry, defineWorkflow } from '../src/machines/index.js';
import { brief } from '../examples/brief/brief.js';
import { serial3 } from './_serial3.js';
import { silentLogger } from './_silentLogger.js';

/** One no-op step, then waits for a person: each workflow accepts exactly one APPROVE. */
const gate = defineWorkflow({
  name: 'gate',
  version: 1,
  input: z.object({}),
  steps: [
    { kind: 'produce', name: 'prepare', run: async () => null },
    { kind: 'approval', name: 'approve' },
  ],
});

/** Waits for APPROVE, then 20 steps spaced in time: transitions arrive one by one, for the SSE fan-out. */
const ticker = defineWorkflow({
  name: 'ticker',
  version: 1,
  input: z.object({ gapMs: z.number().int().min(0) }),
  steps: [
    { kind: 'produce', name: 'prepare', run: async () => null },
    { kind: 'approval', name: 'go' },
    ...Array.from({ length: 20 }, (_, index) => ({
      kind: 'produce' as const,
      name: `tick${index + 1}`,
      run: async ({ input }: { input: { gapMs: number } }) => {
        await sleep(input.gapMs);
        return index;
      },
    })),
  ],
});

const { dir, keys } = workerData as { dir: string; keys: string };
const server = await startServer({
  env: { ECL_API_KEYS: keys },
  cwd: dir,
  flags: {
    store: `sqlite:${dir}/ecl.db`,
    port: 0,
    host: '127.0.0.1',
    projections: `${dir}/projections.db`,
    maxSseClients: 100_000,
    maxConnectionsPerClient: 0,
  },
  llm: { provider: createOfflineProvider(), description: 'offline' },
  artifacts: createMemoryArtifactStore(),
  definitions: createRegistry([brief, serial3, gate, ticker]),
  logger: silentLogger(),
});

type Message =
  | { type: 'seed'; count: number; prefix: string; tenant: string }
  | { type: 'passivate' }
  | { type: 'stop' }
  | { type: 'usage' }
  | { type: 'engine-serial3'; count: number; inFlight: number; prefix: string }
  | { type: 'phase-start'; profile?: string }
  | { type: 'phase-end' };

let phase: { elu: ReturnType<typeof performance.eventLoopUtilization>; cpu: NodeJS.CpuUsage; session?: Session; profile?: string } | undefined;

parentPort!.on('message', async (message: Message) => {
  if (message.type === 'phase-start') {
    // Event-loop utilisation of the server thread and CPU time of the process over one phase, and optionally a CPU profile of the thread.
    phase = { elu: performance.eventLoopUtilization(), cpu: process.cpuUsage() };
    if (message.profile !== undefined) {
      phase.session = new Session();
      phase.session.connect();
      await phase.session.post('Profiler.enable');
      await phase.session.post('Profiler.start');
      phase.profile = message.profile;
    }
    parentPort!.postMessage({ type: 'phase-started' });
  } else if (message.type === 'phase-end') {
    const elu = performance.eventLoopUtilization(phase?.elu);
    // CPU time of the whole process (every thread: server, projection worker, load generator).
    const cpu = process.cpuUsage(phase?.cpu);
    if (phase?.session !== undefined && phase.profile !== undefined) {
      const { profile } = await phase.session.post('Profiler.stop');
      writeFileSync(phase.profile, JSON.stringify(profile));
      phase.session.disconnect();
    }
    phase = undefined;
    parentPort!.postMessage({ type: 'phase-ended', utilization: elu.utilization, cpuMs: (cpu.user + cpu.system) / 1000 });
  } else if (message.type === 'seed') {
    // Seeding is not measured: workflows are started directly on the engine, 200 at a time.
    for (let start = 0; start < message.count; start += 200) {
      const batch = Array.from({ length: Math.min(200, message.count - start) }, (_, i) =>
        server.engine.start('gate', {}, { id: `${message.tenant}:${message.prefix}${start + i}`, tenant: message.tenant, sender: 'bench' }),
      );
      const started = await Promise.all(batch);
      await Promise.all(started.map((result) => server.engine.settled(result.workflowId)));
    }
    const head = await server.store.headPosition();
    if (head !== null) await server.projections.runner.waitFor(head, { timeoutMs: 60_000 });
    parentPort!.postMessage({ type: 'seeded' });
  } else if (message.type === 'passivate') {
    const count = await server.engine.passivate();
    parentPort!.postMessage({ type: 'passivated', count });
  } else if (message.type === 'engine-serial3') {
    // The floor of the run-and-await phase: the same serial3 workflows through the engine in this thread, no HTTP.
    const elu = performance.eventLoopUtilization();
    const started = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: message.inFlight }, async () => {
        while (next < message.count) {
          const { workflowId } = await server.engine.start('serial3', {}, { id: `${message.prefix}${next++}` });
          await server.engine.settled(workflowId);
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    parentPort!.postMessage({ type: 'engine-done', seconds, utilization: performance.eventLoopUtilization(elu).utilization });
  } else if (message.type === 'usage') {
    parentPort!.postMessage({ type: 'usage', cpu: process.cpuUsage(), rssMiB: process.memoryUsage().rss / 2 ** 20 });
  } else {
    await Promise.all([server.close(), bare.close()]);
    parentPort!.postMessage({ type: 'stopped' });
  }
});
/**
 * The HTTP floor, in this same thread: a bare Fastify route that parses the same body and answers
 * a finished serial3's status, a constant (no engine, no store, no auth, no metrics).
 */
const bare = Fastify();
const finished = { workflowId: 'floor', tenant: null, definition: 'serial3', version: 1, status: 'completed', state: 'completed', currentStep: 'three' };
const constantStatus = {
  ...finished,
  iterations: { one: 1, two: 1, three: 1 },
  revision: 7,
  createdAt: new Date().toISOString(),
  updatedAt: new Date().toISOString(),
};
const answer = { ...constantStatus, output: null, artifact: null, error: null, reason: null, accepts: [] };
bare.post('/v1/workflows', async (_request, reply) => reply.code(201).header('Location', '/v1/workflows/floor').send(answer));
await bare.listen({ port: 0, host: '127.0.0.1' });

parentPort!.postMessage({ type: 'ready', url: server.url, bareUrl: `http://127.0.0.1:${(bare.server.address() as { port: number }).port}` });
