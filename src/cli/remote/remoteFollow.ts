import type { EngineEvent } from '../../actors/index.js';
import type { ApiClient, StreamedTransition } from '../../api/client/index.js';
import { type WorkflowEvent, type WorkflowEventMetadata, isFinishedStatus } from '../../machines/index.js';
import { type AuditEntry, type AuditUsage, auditUsage, familySummaryLines } from '../../projections/index.js';
import { formatTransition, stepColumnWidth } from '../formatTransition.js';
import { EXIT } from '../usageError.js';

/** The SSE payload in the shape the in-process `--follow` formatter reads. */
const asEngineTransition = (transition: StreamedTransition): Extract<EngineEvent, { kind: 'transition' }> =>
  ({
    kind: 'transition',
    workflowId: transition.workflowId,
    revision: transition.revision,
    eventId: '',
    event: { type: transition.type, data: transition.data } as unknown as WorkflowEvent,
    metadata: { sender: transition.sender ?? 'system', at: transition.at, step: transition.step ?? undefined } as unknown as WorkflowEventMetadata,
    state: typeof transition.state === 'string' ? transition.state : JSON.stringify(transition.state ?? null),
    status: 'running',
  }) as Extract<EngineEvent, { kind: 'transition' }>;

/** How often a follow asks the server whether the workflow waits on children that all wait for someone. */
const FAMILY_LOOK_MS = 1_000;
/**
 * A sleep longer than this ends the follow: the server wakes the workflow, and a command should not
 * hold the terminal for days. A shorter one is followed through.
 */
const FOLLOW_THROUGH_SLEEP_MS = 30_000;

/** The line for a workflow the server will wake from a sleep. */
const sleepingLine = (baseUrl: string, id: string, step: string, until: string): string =>
  `Sleeping at ${step} until ${until}: the server wakes it then (ecl status ${id} --server ${baseUrl} shows where it is)`;

/** Asleep on the server until a time further off than a follow waits for. */
export const sleepsLong = (status: RemoteStatus, now = Date.now()): boolean =>
  status.status === 'running' && status.wakeReason === 'sleep' && status.wakeAt !== undefined && Date.parse(status.wakeAt) - now > FOLLOW_THROUGH_SLEEP_MS;

/** The step column's width for the workflow's definition, as the server has it (the default if it cannot say). */
async function remoteStepWidth(client: ApiClient, id: string, definition?: string): Promise<number> {
  try {
    const { versions } = await client.versions(definition ?? (await client.get(id)).definition);
    return stepColumnWidth(versions.flatMap((version) => version.steps.map((step) => step.name)));
  } catch {
    return stepColumnWidth([]);
  }
}

/**
 * Follows a workflow on the server until it ends, waits for a person or a signal — itself, or
 * through the child workflows its step waits for (as the in-process `ecl run` does) — or starts a
 * long sleep, printing each transition with `transitions`, then the closing lines. Returns the exit code.
 */
export async function followRemote(
  client: ApiClient,
  id: string,
  options: {
    print: (line: string) => void;
    transitions: boolean;
    after?: number;
    familyBefore?: ReadonlySet<string>;
    /** The workflow's definition name, when the caller knows it (saves asking the server). */
    definition?: string;
  },
): Promise<number> {
  let previous: WorkflowEvent | undefined;
  let asleep: { step: string; until: string } | undefined;
  const stepWidth = options.transitions ? await remoteStepWidth(client, id, options.definition) : undefined;
  // Its stream is quiet while its children wait: the server's status says when they all do.
  const atRest = new AbortController();
  let restingStatus: RemoteStatus | undefined;
  const look = setInterval(() => {
    client.get(id).then(
      (status) => {
        if ((status.waitingOnChildren?.length ?? 0) === 0 || atRest.signal.aborted) return;
        restingStatus = status;
        atRest.abort();
      },
      () => undefined,
    );
  }, FAMILY_LOOK_MS);
  try {
    await client.follow(id, {
      signal: atRest.signal,
      ...(options.after === undefined ? {} : { after: options.after }),
      onTransition: (transition) => {
        const engineTransition = asEngineTransition(transition);
        if (options.transitions) {
          const line = formatTransition(engineTransition, previous, stepWidth);
          if (line !== undefined) options.print(line);
        }
        previous = engineTransition.event;
        if (transition.type === 'SleepStarted') {
          // Measured from now: a follow that replays the stream passes sleeps long over.
          const { step, until } = transition.data as { step: string; until: string };
          const left = Date.parse(until) - Date.now();
          if (left > FOLLOW_THROUGH_SLEEP_MS) {
            asleep = { step, until };
            return 'stop';
          }
          if (left > 0 && !options.transitions)
            options.print(`Sleeping at ${step} until ${until} (following it through; Ctrl-C stops following, not the workflow)`);
        }
        // At rest until someone sends a command or the signal (a signal's timeout is the server's to keep).
        return transition.type === 'HumanInputRequested' || transition.type === 'SignalAwaited' ? 'stop' : undefined;
      },
    });
  } finally {
    clearInterval(look);
  }
  if (asleep !== undefined) {
    options.print(sleepingLine(client.baseUrl, id, asleep.step, asleep.until));
    return EXIT.notCompleted;
  }
  // The status that put it at rest, not a second read a finishing child may already have changed.
  return finishRemote(client, id, restingStatus ?? (await client.get(id)), options.print, options.familyBefore);
}

/**
 * The closing lines (`closeRemote`), then, for a finished workflow with child workflows, the
 * family's usage from the server's audit (but for `familyBefore`, children that were there before
 * the command), as the local `ecl run` prints it. Returns the exit code.
 */
export async function finishRemote(
  client: ApiClient,
  id: string,
  status: RemoteStatus,
  print: (line: string) => void,
  familyBefore: ReadonlySet<string> = new Set(),
): Promise<number> {
  if ((status.waitingOnChildren?.length ?? 0) > 0) {
    print(`Running ${id} at ${stateText(status.state)}, which waits on its child workflows:`);
    await waitingChildrenLines(client, status, print, '  ');
    return EXIT.notCompleted;
  }
  if (!isFinishedStatus(status.status)) return closeRemote(client.baseUrl, id, status, print);
  const { entries, descendants } = await client.audit(id);
  const own = auditUsage(entries as unknown as AuditEntry[]);
  const code = closeRemote(client.baseUrl, id, status, print, own);
  const family = descendants.filter((descendant) => !familyBefore.has(descendant.workflowId));
  for (const line of familySummaryLines(id, own, family)) print(line);
  return code;
}

type RemoteStatus = Awaited<ReturnType<ApiClient['get']>>;

/** Each child the workflow waits on, with what it waits for (its own children, in turn), as the local `ecl run` lists them. */
async function waitingChildrenLines(client: ApiClient, status: RemoteStatus, print: (line: string) => void, indent: string): Promise<void> {
  for (const childId of status.waitingOnChildren ?? []) {
    const child = await client.get(childId);
    if ((child.waitingOnChildren?.length ?? 0) > 0) {
      print(`${indent}${childId} (${child.definition}) at ${stateText(child.state)}, which waits on its own:`);
      await waitingChildrenLines(client, child, print, `${indent}  `);
      continue;
    }
    let first = true;
    closeRemote(client.baseUrl, childId, child, (text) => {
      for (const line of text.split('\n')) {
        print(first ? `${indent}${childId} (${child.definition}): ${line}` : `${indent}${line}`);
        first = false;
      }
    });
  }
}

/** A state value as the local commands print it: `approval.waiting`. */
export const stateText = (state: unknown): string => {
  if (typeof state === 'string') return state;
  const entries = typeof state === 'object' && state !== null ? Object.entries(state) : [];
  const [only] = entries;
  return entries.length === 1 && typeof only?.[1] === 'string' ? `${only[0]}.${only[1]}` : JSON.stringify(state);
};

/**
 * The closing lines for a workflow as the server's status read model has it now, and the exit
 * code: the lines the local commands print (`usage`, the workflow's own, from its audit).
 */
export function closeRemote(baseUrl: string, id: string, status: RemoteStatus, print: (line: string) => void, usage?: AuditUsage): number {
  const reason = typeof status.reason === 'string' ? status.reason : undefined;
  const waiting = status.waitingFor;
  switch (status.status) {
    case 'waiting':
      if (waiting?.kind === 'signal' && waiting.signal !== undefined) {
        const until = waiting.timeoutAt === undefined ? '' : ` until ${waiting.timeoutAt}`;
        print(`Waiting for signal ${waiting.signal}${until}: e.g. ecl send ${id} ${waiting.signal} --data '<json>' --server ${baseUrl}`);
      } else
        print(
          `Waiting for a person at ${stateText(status.state)} (${waiting?.kind ?? 'input'}): ${status.accepts.join(', ')}\n  e.g. ecl send ${id} APPROVE --server ${baseUrl}`,
        );
      return EXIT.notCompleted;
    case 'completed': {
      const artifact = (status.artifact as { path?: string } | null)?.path;
      const spent = usage === undefined ? '' : ` (${(usage.inputTokens + usage.outputTokens).toLocaleString('en-US')} tokens, $${usage.costUsd.toFixed(4)})`;
      print(`Completed ${id}${spent}${artifact === undefined ? '' : `\nArtifact: ${artifact}`}`);
      return EXIT.ok;
    }
    case 'failed':
      print(`Failed ${id}: ${reason ?? 'unknown reason'}`);
      return EXIT.notCompleted;
    case 'cancelled':
      print(`Cancelled ${id}: ${reason ?? ''}`.trimEnd());
      return EXIT.notCompleted;
    default:
      if (status.wakeReason === 'sleep' && status.wakeAt !== undefined)
        print(sleepingLine(baseUrl, id, status.currentStep ?? stateText(status.state), status.wakeAt));
      else print(`${id} is ${String(status.status)} at ${stateText(status.state)}`);
      return EXIT.notCompleted;
  }
}
