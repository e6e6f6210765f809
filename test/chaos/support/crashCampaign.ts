import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startChaosModel, type ChaosModel } from './chaosModel.js';
import { CHAOS_API_KEY, replayVerify, startRun, startServe, type ChaosEnv, type RunProcess, type ServeProcess } from './campaignProcesses.js';
import { checkWorkflow, type Acks, type CallFigures } from './invariants.js';
import { apiClient, listAll, readFinishedLog, TERMINAL_STATUSES, type ApiClient } from './readWorkflow.js';

export interface CampaignOptions {
  /** SIGKILLs of `ecl serve`. */
  serveKills: number;
  /** SIGKILLs of `ecl run` (each kill may take down several concurrent runs; each process killed counts). */
  runKills: number;
  seed: number;
  /** Progress lines (the figures are returned either way). */
  log?: (line: string) => void;
}

export type KillKind =
  'mid model call' | 'burst of commands' | 'after a burst of starts (projection batch)' | 'concurrent runs committing' | 'at a random moment';

export interface CampaignFigures {
  seed: number;
  kills: { serve: number; run: number; byKind: Record<string, number> };
  iterations: number;
  workflows: { serve: number; run: number };
  acknowledged: { starts: number; commands: number };
  /** `calls` counts the calls of the checked workflows; `modelCalls` every call the fake received. */
  calls: CallFigures & { modelCalls: number };
  replayVerified: number;
  violations: string[];
}

/** mulberry32: a small seeded generator, so a failing campaign can be run again as it was. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Lets the fake model read what a killed process sent before it died, so each call is counted in
 * the process life that made it (the next life is spawned only after this).
 */
const drainIo = () => sleep(50);

/**
 * The crash campaign: SIGKILLs `ecl serve` and `ecl run` at random moments (mid model call, in
 * bursts of concurrent commands, right after bursts of appends while the projections apply them,
 * anywhere), restarts them, and checks through the public surface only (HTTP API, SSE, `ecl
 * replay --verify`, the fake Messages API's count of calls) that nothing acknowledged was lost,
 * no step completed twice, no recorded call was made again, interrupted calls were made again
 * exactly once, replay verifies, the read models equal the log, and settled workflows stayed
 * settled. See docs/reliability.md.
 */
export async function runCrashCampaign(options: CampaignOptions): Promise<CampaignFigures> {
  const random = seededRandom(options.seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const between = (min: number, max: number) => min + Math.floor(random() * (max - min + 1));
  const log = options.log ?? (() => undefined);
  const dir = mkdtempSync(join(tmpdir(), 'ecl-chaos-'));
  let serveGeneration = 0;
  const runGeneration = new Map<string, number>();
  let model: ChaosModel | undefined;
  const figures: CampaignFigures = {
    seed: options.seed,
    kills: { serve: 0, run: 0, byKind: {} },
    iterations: 0,
    workflows: { serve: 0, run: 0 },
    acknowledged: { starts: 0, commands: 0 },
    calls: { calls: 0, interrupted: 0, madeAgain: 0, modelCalls: 0 },
    replayVerified: 0,
    violations: [],
  };
  const countKill = (process: 'serve' | 'run', kind: KillKind, count = 1) => {
    const label = `${process}: ${kind}`;
    figures.kills.byKind[label] = (figures.kills.byKind[label] ?? 0) + count;
  };
  try {
    model = await startChaosModel({
      random,
      maxDelayMs: 120,
      generationOf: (id) => (id.startsWith('acme:') ? serveGeneration : (runGeneration.get(id) ?? -1)),
    });
    const env: ChaosEnv = { dir, modelUrl: model.url };

    // ---- ecl serve: kill, restart, check ----
    const serveStore = `sqlite:${join(dir, 'serve.db')}`;
    const serveAcks: Acks = { starts: new Set(), commands: [] };
    const settledAt = new Map<string, number>();
    let nextId = 0;
    const start = async (api: ApiClient, gate: boolean): Promise<void> => {
      const id = `s-${++nextId}`;
      const answer = await api.call('POST', '/v1/workflows', { definition: 'chaos', input: { tag: id, gate }, id }).catch(() => undefined);
      if (answer?.status === 201 || answer?.status === 200) serveAcks.starts.add(id);
    };
    const command = async (api: ApiClient, id: string, type: 'APPROVE' | 'CANCEL'): Promise<void> => {
      const answer = await api
        .call('POST', `/v1/workflows/${id}/events`, type === 'CANCEL' ? { type, data: { reason: 'chaos' } } : { type })
        .catch(() => undefined);
      if (answer?.status === 202) serveAcks.commands.push({ id, type, revision: answer.body.revision as number });
    };
    /** After every restart: settled workflows are where they were; newly settled ones are remembered. */
    const checkSettled = async (api: ApiClient): Promise<Array<{ workflowId: string; status: string }>> => {
      const items = await listAll(api);
      for (const item of items) {
        if (!TERMINAL_STATUSES.has(item.status)) continue;
        const before = settledAt.get(item.workflowId);
        if (before === undefined) settledAt.set(item.workflowId, item.revision);
        else if (before !== item.revision) figures.violations.push(`${item.workflowId}: settled at revision ${before}, at ${item.revision} after a restart`);
      }
      for (const id of serveAcks.starts)
        if (!items.some((item) => item.workflowId === id)) figures.violations.push(`${id}: acknowledged start missing after a restart`);
      return items;
    };

    while (figures.kills.serve < options.serveKills) {
      figures.iterations += 1;
      serveGeneration += 1;
      const server: ServeProcess = await startServe(env, serveStore, { keys: true });
      const api = apiClient(server.url, CHAOS_API_KEY);
      const items = await checkSettled(api);
      const waiting = items.filter((item) => item.status === 'waiting').map((item) => item.workflowId);
      const kind: KillKind = pick([
        'mid model call',
        'mid model call',
        'burst of commands',
        'after a burst of starts (projection batch)',
        'at a random moment',
      ]);
      const requests: Promise<void>[] = [];
      if (kind === 'mid model call') {
        for (let i = between(1, 2); i > 0; i--) requests.push(start(api, random() < 0.6));
        const deadline = Date.now() + 10_000;
        while (!model.inFlight().some((call) => call.generation === serveGeneration && call.workflowId.startsWith('acme:')) && Date.now() < deadline)
          await sleep(2);
        await sleep(between(0, 30));
      } else if (kind === 'burst of commands') {
        for (const id of waiting) requests.push(command(api, id, random() < 0.85 ? 'APPROVE' : 'CANCEL'));
        for (let i = between(2, 4); i > 0; i--) requests.push(start(api, random() < 0.7));
        await sleep(between(0, 25));
      } else if (kind === 'after a burst of starts (projection batch)') {
        await Promise.all(Array.from({ length: between(4, 8) }, () => start(api, random() < 0.5)));
        await sleep(between(0, 5));
      } else {
        requests.push(start(api, random() < 0.5));
        await sleep(between(20, 400));
      }
      await server.kill();
      await Promise.allSettled(requests);
      await drainIo();
      figures.kills.serve += 1;
      countKill('serve', kind);
      log(`serve kill ${figures.kills.serve}/${options.serveKills}: ${kind} (${serveAcks.starts.size} workflows, ${model.calls.length} model calls so far)`);
    }

    // The last life: drive everything to its end, then check every workflow.
    serveGeneration += 1;
    const final = await startServe(env, serveStore, { keys: true });
    const finalApi = apiClient(final.url, CHAOS_API_KEY);
    await checkSettled(finalApi);
    await settleAll(finalApi, (id) => command(finalApi, id, 'APPROVE'));
    const serveIds = [...new Set([...serveAcks.starts, ...(await listAll(finalApi)).map((item) => item.workflowId)])];
    figures.workflows.serve = serveIds.length;
    for (const id of serveIds)
      figures.violations.push(...(await observeAndCheck(finalApi, id, `acme:${id}`, serveAcks, model, settledAt.get(id), figures.calls)));
    figures.replayVerified += await verifyAll(
      env,
      serveStore,
      serveIds.map((id) => `acme:${id}`),
      figures.violations,
    );
    await final.stop();

    // ---- ecl run: kill (several at once, on one store), resume with the same --id, check ----
    const runStore = `sqlite:${join(dir, 'run.db')}`;
    const runAcks: Acks = { starts: new Set(), commands: [] };
    const unfinished = new Set<string>();
    let nextRun = 0;
    const launch = (id: string): RunProcess => {
      runGeneration.set(id, (runGeneration.get(id) ?? 0) + 1);
      return startRun(env, runStore, id);
    };
    const acked = (run: RunProcess) => {
      if (/^\s+workflow\s+started /m.test(run.output())) runAcks.starts.add(run.workflowId);
    };
    while (figures.kills.run < options.runKills) {
      figures.iterations += 1;
      const ids = Array.from({ length: between(1, 3) }, () => (unfinished.size > 0 && random() < 0.5 ? pick([...unfinished]) : `r-${++nextRun}`));
      const runs = [...new Set(ids)].map((id) => {
        unfinished.add(id);
        return launch(id);
      });
      const kind: KillKind = pick(['mid model call', 'mid model call', 'concurrent runs committing', 'at a random moment']);
      if (kind === 'mid model call') {
        const deadline = Date.now() + 15_000;
        while (!model.inFlight().some((call) => runs.some((run) => run.workflowId === call.workflowId)) && Date.now() < deadline) await sleep(2);
        await sleep(between(0, 30));
      } else {
        // Several processes appending to one SQLite file: kill while they commit.
        await sleep(kind === 'concurrent runs committing' ? between(300, 900) : between(50, 1500));
      }
      let killed = 0;
      for (const run of runs) {
        const result = await run.kill();
        acked(run);
        if (result.signal === 'SIGKILL') killed += 1;
        else if (result.code === 0) unfinished.delete(run.workflowId);
        else figures.violations.push(`${run.workflowId}: ecl run exited ${result.code}: ${result.stderr.slice(0, 300)}`);
      }
      await drainIo();
      figures.kills.run += killed;
      countKill('run', kind, killed);
      log(`run kill ${figures.kills.run}/${options.runKills}: ${kind} (${runs.length} process(es))`);
    }
    for (const id of unfinished) {
      const run = launch(id);
      const result = await run.done;
      acked(run);
      if (result.code !== 0) figures.violations.push(`${id}: the resuming ecl run exited ${result.code}: ${result.stderr.slice(0, 300)}`);
    }
    // The run store, checked through a server of its own (open mode: the CLI's workflows have no tenant).
    const runIds = [...runGeneration.keys()];
    figures.workflows.run = runIds.length;
    const checker = await startServe(env, runStore, { keys: false });
    const checkerApi = apiClient(checker.url, undefined);
    for (const id of runIds) figures.violations.push(...(await observeAndCheck(checkerApi, id, id, runAcks, model, undefined, figures.calls)));
    await checker.stop();
    figures.replayVerified += await verifyAll(env, runStore, runIds, figures.violations);
    figures.acknowledged = { starts: serveAcks.starts.size + runAcks.starts.size, commands: serveAcks.commands.length };
    figures.calls.modelCalls = model.calls.length;
    return figures;
  } finally {
    await model?.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Approves whatever waits until every workflow has settled (bounded). */
async function settleAll(api: ApiClient, approve: (id: string) => Promise<void>): Promise<void> {
  for (let round = 0; round < 600; round++) {
    const items = await listAll(api);
    const open = items.filter((item) => !TERMINAL_STATUSES.has(item.status));
    if (open.length === 0) return;
    await Promise.all(open.filter((item) => item.status === 'waiting').map((item) => approve(item.workflowId)));
    await sleep(100);
  }
  throw new Error('workflows did not settle within 600 rounds');
}

async function observeAndCheck(
  api: ApiClient,
  id: string,
  storedId: string,
  acks: Acks,
  model: ChaosModel,
  settledRevision: number | undefined,
  calls: CallFigures,
): Promise<string[]> {
  const [log, status, audit] = await Promise.all([
    readFinishedLog(api, id),
    api.call('GET', `/v1/workflows/${id}`),
    api.call('GET', `/v1/workflows/${id}/audit`),
  ]);
  if (status.status !== 200 || audit.status !== 200) return [`${id}: status ${status.status}, audit ${audit.status} from the API`];
  return checkWorkflow({ id, storedId, log, status: status.body, audit: audit.body.entries }, acks, model.calls, settledRevision, calls);
}

/** `ecl replay --verify` on every workflow, two processes at a time. */
async function verifyAll(env: ChaosEnv, store: string, storedIds: readonly string[], violations: string[]): Promise<number> {
  let verified = 0;
  const queue = [...storedIds];
  await Promise.all(
    [0, 1].map(async () => {
      for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
        const result = await replayVerify(env, store, id);
        if (result.code === 0) verified += 1;
        else violations.push(`${id}: ecl replay --verify exited ${result.code}: ${(result.stdout + result.stderr).split('\n').slice(-5).join(' | ')}`);
      }
    }),
  );
  return verified;
}
