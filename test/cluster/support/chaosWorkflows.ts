import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { workflowStream, type EventStore, type RecordedEvent } from '../../../src/eventstore/index.js';
import { sleep, stepsRunAgain, storedId, streamViolations, type AckedCommand, type NodeAnswer, type NodeRequester, type ScriptCall } from './chaosCampaign.js';
import type { NodeKills } from './chaosNodes.js';

// The workflows of a chaos campaign on a shared store (PostgreSQL, KurrentDB): which are started,
// how they are started and steered through random nodes until all complete, and the check of every
// stream afterwards.

/** Two in three are the offline `brief` with its review loop and an approval gate; the rest no-op `serial3`. */
export const workflowKind = (index: number): 'brief' | 'noop' => (index % 3 === 2 ? 'noop' : 'brief');

/** The body of `POST /v1/workflows` for the index-th workflow. */
export const startRequest = (id: string, index: number) =>
  workflowKind(index) === 'noop'
    ? { definition: 'serial3', input: { label: id }, id }
    : {
        definition: 'brief',
        input: {
          instructions: `Summarise pilot ${index}.`,
          documents: [{ name: 'pilot.md', text: 'The pilot ran for six weeks. Adoption reached 72 percent.' }],
          approval: true,
        },
        id,
      };

/** The scripted model's file in `dir`, and where its calls are logged. */
export function writeChaosScript(dir: string): { script: string; calls: string } {
  const script = join(dir, 'script.json');
  // Every draft takes a while, so kills land in the middle of model calls; the rest is the offline model.
  writeFileSync(script, JSON.stringify({ steps: { draft: [{ text: 'A short draft of the brief.', holdMs: 300 }] }, fallback: 'offline' }));
  return { script, calls: join(dir, 'calls.jsonl') };
}

/** What the nodes acknowledged during a campaign. */
export interface Acknowledged {
  starts: Set<string>;
  commands: Map<string, AckedCommand[]>;
  /** How many answers of each kind (`start 201`, `APPROVE 409`, `APPROVE answered by no node`, …). */
  answers: Record<string, number>;
}

/**
 * Starts every workflow of `ids` (spread over about `spreadMs`) and steers each through random
 * nodes until all complete and the kills are over, or `limitMs` passes. At each approval gate: the
 * first time a brief waits, a person asks for a revision about a third of the time; otherwise
 * approves; `sentTwiceShare` of the commands are also sent to a second random node at once (only
 * one may be recorded). A gate still waiting 3 s after its command (the node died before recording
 * it) is sent again. Unexpected answers go to `violations`.
 */
export async function steerWorkflows(options: {
  ids: readonly string[];
  /** Starts the index-th workflow through some node. */
  start: (id: string, index: number) => Promise<NodeAnswer>;
  request: NodeRequester;
  next: () => number;
  spreadMs: number;
  kills: NodeKills;
  /** The last event of a workflow's stream so far. */
  lastEvent: (id: string) => RecordedEvent | undefined | Promise<RecordedEvent | undefined>;
  /** Hears each workflow once, when it is first seen completed. */
  completed?: (id: string, event: RecordedEvent) => void;
  sentTwiceShare?: number;
  limitMs: number;
  pollMs: number;
  violations: string[];
}): Promise<Acknowledged> {
  const { ids, request, next, kills, violations } = options;
  const began = Date.now();
  const acknowledged: Acknowledged = { starts: new Set(), commands: new Map(), answers: {} };
  const count = (label: string) => (acknowledged.answers[label] = (acknowledged.answers[label] ?? 0) + 1);

  const starting = (async () => {
    const pending: Promise<void>[] = [];
    for (const [index, id] of ids.entries()) {
      pending.push(
        options.start(id, index).then(
          (answer) => {
            count(`start ${answer.status}`);
            if (answer.status === 200 || answer.status === 201) acknowledged.starts.add(id);
            else violations.push(`${id}: start answered ${answer.status} ${JSON.stringify(answer.body)}`);
          },
          (error: unknown) => void violations.push(`${id}: its start was answered by no node (${String(error)})`),
        ),
      );
      await sleep((options.spreadMs / ids.length) * 2 * next());
    }
    await Promise.all(pending);
  })();

  const command = async (id: string, type: AckedCommand['type']) => {
    const body = type === 'APPROVE' ? { type } : { type, data: { feedback: 'Put the adoption figure in the first sentence.' } };
    const answer = await request('POST', `/v1/workflows/${id}/events`, body).catch(() => undefined);
    if (answer === undefined) return void count(`${type} answered by no node`);
    count(`${type} ${answer.status}`);
    if (answer.status === 202) acknowledged.commands.set(id, [...(acknowledged.commands.get(id) ?? []), { type, revision: answer.body.revision as number }]);
    else if (answer.status !== 409) violations.push(`${id}: ${type} answered ${answer.status} ${JSON.stringify(answer.body)}`);
  };
  const sentAt = new Map<string, number>();
  const revisionAsked = new Set<string>();
  const seenCompleted = new Set<string>();
  const commanding: Promise<void>[] = [];
  let startsDone = false;
  let killsDone = false;
  void starting.then(() => (startsDone = true));
  void kills.done.then(() => (killsDone = true));
  const deadline = began + options.limitMs;
  for (;;) {
    const open: string[] = [];
    for (const id of ids) {
      const event = await options.lastEvent(id);
      if (event?.type === 'WorkflowCompleted') {
        if (!seenCompleted.has(id)) {
          seenCompleted.add(id);
          options.completed?.(id, event);
        }
        continue;
      }
      // A start no node answered is a violation already; nothing will ever come of it.
      if (event === undefined && startsDone && !acknowledged.starts.has(id)) continue;
      open.push(id);
      if (event?.type !== 'HumanInputRequested') continue;
      const gate = `${id}@${event.revision}`;
      if (Date.now() - (sentAt.get(gate) ?? 0) < 3_000) continue;
      sentAt.set(gate, Date.now());
      const type = !revisionAsked.has(id) && next() < 0.35 ? 'REQUEST_REVISION' : 'APPROVE';
      revisionAsked.add(id);
      commanding.push(command(id, type));
      if (options.sentTwiceShare !== undefined && next() < options.sentTwiceShare) commanding.push(command(id, type));
    }
    if (startsDone && killsDone && open.length === 0) break;
    if (Date.now() > deadline || kills.error() !== undefined) {
      // Each unfinished workflow is also a violation of the stream checks.
      violations.push(
        `not finished after ${Math.round((Date.now() - began) / 1_000)} s (${kills.count()} kills, ${open.length} open: ${open.slice(0, 5).join(', ')})`,
      );
      if (kills.error() !== undefined) violations.push(`a restart failed: ${String(kills.error())}`);
      break;
    }
    await sleep(options.pollMs);
  }
  await Promise.all([kills.done, starting, ...commanding]);
  return acknowledged;
}

/**
 * Reads every workflow's stream and checks it (streamViolations) against what the nodes
 * acknowledged and the model calls made for it; `alsoCheck` sees each stream for a test's own
 * checks. Returns how many steps ran again after an interruption.
 */
export async function checkEveryStream(options: {
  store: EventStore;
  ids: readonly string[];
  acknowledged: Acknowledged;
  calls: readonly ScriptCall[];
  violations: string[];
  alsoCheck?: (id: string, records: RecordedEvent[]) => Promise<void>;
}): Promise<number> {
  const { acknowledged, violations } = options;
  const callsOf = new Map<string, ScriptCall[]>();
  for (const call of options.calls) callsOf.set(call.workflowId, [...(callsOf.get(call.workflowId) ?? []), call]);
  let reruns = 0;
  for (const id of options.ids) {
    const records = await options.store.readStream(workflowStream(storedId(id)));
    violations.push(
      ...streamViolations(id, records, {
        startAcknowledged: acknowledged.starts.has(id),
        commands: acknowledged.commands.get(id) ?? [],
        calls: callsOf.get(storedId(id)) ?? [],
      }),
    );
    reruns += stepsRunAgain(records);
    await options.alsoCheck?.(id, records);
  }
  return reruns;
}
