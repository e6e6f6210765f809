import { randomUUID } from 'node:crypto';
import { isApiClientError, problemLines, type ApiClient } from '../../api/client/index.js';
import type { AuditEntry, WorkflowStatusRow } from '../../projections/index.js';
import { formatAuditTimeline } from '../../projections/index.js';
import { isFinishedStatus } from '../../machines/index.js';
import { formatStatus, formatStatusTable, unfinishedChildren } from '../formatStatus.js';
import { assertSameDefinition, resumingLine } from '../resuming.js';
import { EXIT, UsageError } from '../usageError.js';
import { finishRemote, followRemote, sleepsLong, stateText } from './remoteFollow.js';

const print = (line: string) => console.log(line);
const json = (value: unknown) => console.log(JSON.stringify(value, null, 2));

/** A server's 400/404/409 is the caller's to fix: one message, exit 2 (or 1 for a missing workflow). */
async function speaking<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (!isApiClientError(error)) throw error;
    const detail = problemLines(error);
    const extra =
      error.code === 'EVENT_NOT_ACCEPTED' ? [`state: ${JSON.stringify(error.problem.state)}; accepts: ${JSON.stringify(error.problem.accepts)}`] : [];
    const message = [`${error.message} (${error.code})`, ...detail.map((line) => `  ${line}`), ...extra].join('\n');
    if (error.status === 400 || error.status === 409 || error.status === 413) throw new UsageError(message);
    throw new Error(message, { cause: error });
  }
}

/**
 * `ecl run --server`: starts the workflow and follows it. `input` undefined (none given, with an
 * id): the workflow under that id resumes where it is, with the input it recorded, or one starts with `{}`.
 */
export async function remoteRun(
  client: ApiClient,
  request: { definition: string; version?: number; input: unknown; id?: string; follow: boolean },
): Promise<number> {
  const id = request.id ?? randomUUID();
  return speaking(async () => {
    print(`Server: ${client.baseUrl}`);
    print(`Workflow ${id}`);
    const existing = request.input === undefined ? await existingOn(client, id) : undefined;
    if (existing === undefined) {
      const started = await client.start({
        definition: request.definition,
        ...(request.version === undefined ? {} : { version: request.version }),
        input: request.input ?? {},
        id,
      });
      // The same id and input existed already, on another version: the answer is that workflow.
      if (request.version !== undefined && started.version !== request.version) print(resumingLine(started, stateText(started.state), request.version));
      return followRemote(client, id, { print, transitions: request.follow, definition: request.definition });
    }
    assertSameDefinition(existing, request.definition);
    print(resumingLine(existing, stateText(existing.state), request.version));
    // At rest (waiting, itself or through its children, asleep for long, or finished): nothing more will come to follow until someone acts.
    if (existing.status !== 'running' || (existing.waitingOnChildren?.length ?? 0) > 0 || sleepsLong(existing))
      return finishRemote(client, id, existing, print);
    return followRemote(client, id, { print, transitions: request.follow, after: existing.revision, definition: existing.definition });
  });
}

/** The workflow's status on the server, or undefined when there is none (404). */
async function existingOn(client: ApiClient, id: string): Promise<Awaited<ReturnType<ApiClient['get']>> | undefined> {
  try {
    return await client.get(id);
  } catch (error) {
    if (isApiClientError(error) && error.status === 404) return undefined;
    throw error;
  }
}

export async function remoteSend(
  client: ApiClient,
  request: { id: string; type: string; data: unknown; follow: boolean; idempotencyKey?: string | undefined },
): Promise<number> {
  return speaking(async () => {
    // Children from before this command are not its work: only those it starts are reported (as locally).
    const before = await descendantIds(client, request.id);
    // Its running ancestors as they were: each goes on on the server once the workflow below it finishes.
    const ancestors = await runningAncestors(client, request.id);
    const accepted = await client.send(request.id, request.type, request.data, { idempotencyKey: request.idempotencyKey });
    print(
      accepted.duplicate === true
        ? `${accepted.type} was recorded before with this idempotency key: ${request.id} (revision ${accepted.revision})`
        : `${accepted.type} accepted: ${request.id} (revision ${accepted.revision})`,
    );
    let code = await followRemote(client, request.id, { print, transitions: request.follow, after: accepted.revision, familyBefore: before });
    let child = request.id;
    for (const parent of ancestors) {
      if (!isFinishedStatus((await client.get(child)).status)) break;
      print(`Its parent ${parent.workflowId} (${parent.definition}) goes on:`);
      code = await followRemote(client, parent.workflowId, { print: (line) => print(line.replace(/^/gm, '  ')), transitions: false, after: parent.revision });
      child = parent.workflowId;
    }
    return code;
  });
}

/** The ids of the workflow's descendants now; none when it does not exist (the send then says so). */
async function descendantIds(client: ApiClient, id: string): Promise<ReadonlySet<string>> {
  try {
    return new Set((await client.audit(id)).descendants.map((descendant) => descendant.workflowId));
  } catch (error) {
    if (isApiClientError(error) && error.status === 404) return new Set();
    throw error;
  }
}

/** Its parent, the parent's parent, …, while each is running: their status now. */
async function runningAncestors(client: ApiClient, id: string): Promise<Awaited<ReturnType<ApiClient['get']>>[]> {
  const found = [];
  for (let status = await existingOn(client, id); status?.parent !== undefined;) {
    status = await existingOn(client, status.parent.workflowId);
    if (status === undefined || status.status !== 'running') break;
    found.push(status);
  }
  return found;
}

export async function remoteStatus(client: ApiClient, id: string | undefined, asJson: boolean): Promise<void> {
  await speaking(async () => {
    if (id !== undefined) {
      const status = (await client.get(id)) as unknown as WorkflowStatusRow;
      if (asJson) return json(status);
      // A live workflow's unfinished children, as the local status lists them.
      const { children, more } = isFinishedStatus(status.status)
        ? { children: [], more: false }
        : await unfinishedChildren(id, async (query) => {
            const page = await client.list(query);
            return { items: page.items as unknown as WorkflowStatusRow[], more: page.nextCursor !== null };
          });
      return print(formatStatus(status, children, more).join('\n'));
    }
    const [summary, latest] = await Promise.all([client.metricsSummary(), client.list({ limit: 20 })]);
    const workflows = summary.workflows as { total: number; byStatus: Record<string, number> };
    if (asJson) return json({ workflows, latest: latest.items });
    const counts = Object.entries(workflows.byStatus).map(([status, n]) => `${status} ${n}`);
    print(`${workflows.total} workflows${counts.length > 0 ? `: ${counts.join(', ')}` : ''}`);
    if (latest.items.length > 0) print(formatStatusTable(latest.items as unknown as WorkflowStatusRow[]).join('\n'));
  });
}

export async function remoteList(
  client: ApiClient,
  query: { status?: string; definition?: string; parent?: string; limit?: number; cursor?: string },
  asJson: boolean,
): Promise<void> {
  await speaking(async () => {
    const page = await client.list(query);
    if (asJson) return json(page);
    if (page.items.length === 0) return print('No workflows.');
    print(formatStatusTable(page.items as unknown as WorkflowStatusRow[]).join('\n'));
    if (page.nextCursor !== null) print(`more: --cursor ${page.nextCursor}`);
  });
}

export async function remoteAudit(client: ApiClient, id: string, asJson: boolean): Promise<void> {
  await speaking(async () => {
    const audit = await client.audit(id);
    const { entries, descendants } = audit;
    if (asJson) return json(audit);
    print(formatAuditTimeline(id, entries as unknown as AuditEntry[], descendants).join('\n'));
  });
}

export { EXIT };
