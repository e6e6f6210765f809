import { runEcl, startEcl, waitFor, type CliRun } from '../../cli/cliHarness.js';
import type { RecordedEvent } from '../../../src/eventstore/index.js';
import { KEY, type LoggedCall } from './processes.js';

// What the cluster chaos campaigns share (chaos.e2e.test.ts on one SQLite file,
// postgresChaos.e2e.test.ts on one PostgreSQL schema, kurrentdbChaos.e2e.test.ts on one KurrentDB):
// the seeded generator, requests to a random node, `ecl serve` on any store URL, the per-workflow
// invariants and `ecl replay --verify` for all.

/** The campaign's seed: ECL_CHAOS_SEED repeats a campaign's choices (not its timing). */
export const chaosSeed = (): number => Number(process.env.ECL_CHAOS_SEED ?? Math.floor(Math.random() * 2 ** 31));

/** mulberry32: the campaign repeats exactly with the same seed. */
export function seededRandom(state: number): () => number {
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A node of the campaign: an `ecl serve` child and its API's URL. */
export interface ChaosNode {
  child: { pid?: number | undefined };
  done: Promise<CliRun>;
  url: string;
}

export interface NodeAnswer {
  status: number;
  /** The answer's JSON, when it had some. */
  body: any;
}

export type NodeRequester = (method: string, path: string, body?: unknown) => Promise<NodeAnswer>;

/** The id a workflow started through a node's API has in the store (the campaign's key is tenant acme's). */
export const storedId = (id: string): string => `acme:${id}`;

/**
 * A request to a random node of `nodes` (read at each try, so a restarted node's new URL is used);
 * a node that dies mid-request, or answers 5xx, is simply another try on another node, after 100 ms.
 * `failed` hears why each try failed (`503 STORE_UNAVAILABLE`, `TypeError: fetch failed`, …).
 */
export function randomNodeRequester(nodes: readonly ChaosNode[], next: () => number, tries = 50, failed?: (why: string) => void): NodeRequester {
  return async (method, path, body) => {
    for (let attempt = 0; attempt < tries; attempt++) {
      try {
        const response = await fetch(nodes[Math.floor(next() * nodes.length)]!.url + path, {
          method,
          headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(10_000),
        });
        const text = Buffer.from(await response.arrayBuffer()).toString('utf8');
        if (response.status < 500) {
          let parsed: unknown;
          try {
            parsed = text === '' ? undefined : JSON.parse(text);
          } catch {
            parsed = text;
          }
          return { status: response.status, body: parsed };
        }
        failed?.(`${response.status} ${/"code":"([A-Z_]+)"/.exec(text)?.[1] ?? text.slice(0, 80)}`);
      } catch (error) {
        /* the node died: try another */
        failed?.(
          `${(error as Error).name}: ${(error as Error).message}${(error as { cause?: { code?: string } }).cause?.code === undefined ? '' : ` (${(error as { cause: { code: string } }).cause.code})`}`,
        );
      }
      await sleep(100);
    }
    throw new Error(`${method} ${path} failed on every node`);
  };
}

/** `ecl serve` on `store` (any store URL), on a free 127.0.0.1 port; resolves once it listens. */
export async function serveOnStore(options: {
  dir: string;
  store: string;
  script: string;
  calls: string;
  projections?: string;
  env?: Record<string, string>;
}): Promise<ChaosNode & { output: () => string }> {
  const { dir, store, script, calls } = options;
  const args = ['serve', '--store', store, '--port', '0', '--llm', `script:${script}`, '--artifacts', `${dir}/artifacts`];
  if (options.projections !== undefined) args.push('--projections', options.projections);
  const started = startEcl(args, {
    cwd: dir,
    env: { ECL_API_KEYS: `ops:${KEY}=acme`, ECL_LOG_LEVEL: 'warn', ECL_SCRIPT_CALL_LOG: calls, ECL_LEASE_TTL_MS: '1500', ...options.env },
  });
  await waitFor(() => /Recovered: /.test(started.output()), started.child, 'the serve banner', 60_000).catch(async (error: unknown) => {
    throw new Error(`${(error as Error).message}: ${(await started.done).stderr.slice(-2_000)}`, { cause: error });
  });
  const url = /ECL API listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(started.output())![1]!;
  return { ...started, url };
}

const dataOf = (record: RecordedEvent) => record.data as { step?: string; iteration?: number; attempt?: number; call?: string; decision?: string };

/** `step/iteration` of every StepCompleted of a stream, in order. */
export const completedSteps = (records: readonly RecordedEvent[]): string[] =>
  records.filter((record) => record.type === 'StepCompleted').map((record) => `${dataOf(record).step}/${dataOf(record).iteration}`);

/** How many steps of a stream ran again after an interruption (StepStarted of attempt 2 or more). */
export const stepsRunAgain = (records: readonly RecordedEvent[]): number =>
  records.filter((record) => record.type === 'StepStarted' && (dataOf(record).attempt ?? 1) > 1).length;

/** A model call as the scripted provider's call log (ECL_SCRIPT_CALL_LOG) records it. */
export type ScriptCall = LoggedCall & { workflowId: string };

/** A command a node answered 202: the revision it says it recorded. */
export interface AckedCommand {
  type: 'APPROVE' | 'REQUEST_REVISION';
  revision: number;
}

const DECISION_OF: Record<AckedCommand['type'], string> = { APPROVE: 'approve', REQUEST_REVISION: 'request_revision' };

/**
 * The campaign's invariants for one finished workflow's stream, one line per violation: it
 * completed; an acknowledged start and every acknowledged command are in it; one decision per
 * request for input; no (step, iteration) completed twice or started after it completed; no model
 * call made twice in one attempt; no call made again once its outcome was recorded; every call
 * made by an attempt the log started; every step the model was called for has its outcome.
 */
export function streamViolations(
  id: string,
  records: readonly RecordedEvent[],
  context: { startAcknowledged: boolean; commands: readonly AckedCommand[]; calls: readonly ScriptCall[] },
): string[] {
  const violations: string[] = [];
  const fail = (text: string) => violations.push(`${id}: ${text}`);
  records.forEach((record, index) => {
    if (record.revision !== index) fail(`revision ${record.revision} at index ${index}`);
  });
  const last = records.at(-1);
  if (last?.type !== 'WorkflowCompleted') fail(`did not complete: last event ${last?.type ?? '(none)'} at revision ${last?.revision ?? -1}`);
  if (context.startAcknowledged && records[0]?.type !== 'WorkflowStarted') fail('acknowledged start is not in the stream');

  // Every acknowledged command is in its stream, at the revision the node answered, as that decision.
  for (const command of context.commands) {
    const recorded = records[command.revision];
    if (recorded?.type !== 'HumanDecisionReceived' || dataOf(recorded).decision !== DECISION_OF[command.type])
      fail(
        `acknowledged ${command.type} at revision ${command.revision} is not in the stream (found ${recorded?.type ?? 'nothing'} ${JSON.stringify(recorded === undefined ? null : (dataOf(recorded).decision ?? null))})`,
      );
  }
  if (new Set(context.commands.map((command) => command.revision)).size !== context.commands.length)
    fail(`two acknowledged commands share a revision: ${JSON.stringify(context.commands)}`);
  // One decision per request for input.
  let decisions = 0;
  for (const record of records) {
    if (record.type === 'HumanInputRequested') decisions = 0;
    else if (record.type === 'HumanDecisionReceived' && ++decisions > 1) fail(`a second decision for one request, at revision ${record.revision}`);
  }

  // No (step, iteration) completed twice, nor started again after it completed.
  const completedAt = new Map<string, number>();
  for (const record of records) {
    const key = `${dataOf(record).step}/${dataOf(record).iteration}`;
    if (record.type === 'StepCompleted') {
      if (completedAt.has(key)) fail(`${key} completed twice (revisions ${completedAt.get(key)} and ${record.revision})`);
      else completedAt.set(key, record.revision);
    } else if (record.type === 'StepStarted' && completedAt.has(key)) fail(`${key} started again (revision ${record.revision}) after it completed`);
  }

  // Model calls. The call log names a call's step, iteration and attempt (not which call of the
  // step it was), so per attempt: it may make at most the step's calls whose outcome no earlier
  // attempt recorded (a recorded call returns its outcome instead of calling the model again).
  const started = new Set(
    records.filter((record) => record.type === 'StepStarted').map((record) => `${dataOf(record).step}/${dataOf(record).iteration}#${dataOf(record).attempt}`),
  );
  const recordedBy = new Map<string, Map<string, number>>();
  for (const record of records.filter((event) => event.type === 'CallCompleted')) {
    const { step, iteration, attempt, call } = dataOf(record);
    const key = `${step}/${iteration}`;
    const calls = recordedBy.get(key) ?? new Map<string, number>();
    if (calls.has(String(call))) fail(`${key} ${call}: two outcomes recorded (attempts ${calls.get(String(call))} and ${attempt})`);
    else calls.set(String(call), attempt ?? 1);
    recordedBy.set(key, calls);
  }
  const made = new Map<string, number>();
  for (const call of context.calls)
    made.set(`${call.step}/${call.iteration}#${call.attempt}`, (made.get(`${call.step}/${call.iteration}#${call.attempt}`) ?? 0) + 1);
  for (const [attemptKey, count] of made) {
    const [key, attemptText] = attemptKey.split('#') as [string, string];
    const attempt = Number(attemptText);
    const recorded = [...(recordedBy.get(key)?.values() ?? [])];
    const allowed = Math.max(1, recorded.length) - recorded.filter((by) => by < attempt).length;
    if (count > allowed)
      fail(
        `${attemptKey}: ${count} model call(s) made, ${allowed} allowed (${recorded.length - allowed} of the step's ${recorded.length} call(s) recorded by earlier attempts ${JSON.stringify(recorded)})`,
      );
    if (!started.has(attemptKey)) fail(`${attemptKey}: the model was called by an attempt the stream never started`);
    if (!completedAt.has(key)) fail(`${key}: the model was called but the step has no outcome`);
  }
  return violations;
}

/** `ecl replay --verify` for each stored id, `parallel` processes at a time; one line per failure. */
export async function verifyReplays(storedIds: readonly string[], store: string, dir: string, parallel: number): Promise<string[]> {
  const queue = [...storedIds];
  const failures: string[] = [];
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
        const failure = await verifyReplay(id, store, dir);
        if (failure !== undefined) failures.push(failure);
      }
    }),
  );
  return failures;
}

/** `ecl replay <id> --verify`: undefined when it passes, else what it said. */
export async function verifyReplay(storedId: string, store: string, dir: string): Promise<string | undefined> {
  const replayed = await runEcl(['replay', storedId, '--verify', '--store', store], { cwd: dir });
  return replayed.code === 0 ? undefined : `${storedId}: ${replayed.stderr}${replayed.stdout.slice(-300)}`;
}
