import type { EngineEvent } from '../../actors/index.js';
import type { ApiClient, StreamedTransition } from '../../api/client/index.js';
import type { WorkflowEvent, WorkflowEventMetadata } from '../../machines/index.js';
import { formatTransition } from '../formatTransition.js';
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

/**
 * Follows a workflow on the server until it ends or waits for a person (as the in-process
 * `ecl run` does), printing transitions when asked. Returns the exit code and closing lines.
 */
export async function followRemote(client: ApiClient, id: string, options: { print?: (line: string) => void; after?: number }): Promise<number> {
  let waiting = false;
  let previous: WorkflowEvent | undefined;
  let awaited: { signal: string; timeoutAt?: string } | undefined;
  const result = await client.follow(id, {
    ...(options.after === undefined ? {} : { after: options.after }),
    onTransition: (transition) => {
      const engineTransition = asEngineTransition(transition);
      if (options.print !== undefined) {
        const line = formatTransition(engineTransition, previous);
        if (line !== undefined) options.print(line);
      }
      previous = engineTransition.event;
      // At rest until someone sends a command or the signal (a signal's timeout is the server's to keep).
      if (transition.type === 'HumanInputRequested' || transition.type === 'SignalAwaited') {
        waiting = true;
        if (engineTransition.event.type === 'SignalAwaited') awaited = engineTransition.event.data;
        return 'stop';
      }
      return undefined;
    },
  });
  const status = await client.get(id);
  const print = options.print ?? (() => undefined);
  if (result.ended === undefined && waiting && awaited !== undefined) {
    const until = awaited.timeoutAt === undefined ? '' : ` until ${awaited.timeoutAt}`;
    print(`Waiting for signal ${awaited.signal}${until}: e.g. ecl send ${id} ${awaited.signal} --data '<json>' --server ${client.baseUrl}`);
    return EXIT.notCompleted;
  }
  if (result.ended === undefined && waiting) {
    print(
      `Waiting for a person at ${JSON.stringify(status.state)}: send APPROVE, REJECT or REQUEST_REVISION, e.g. ecl send ${id} APPROVE --server ${client.baseUrl}`,
    );
    return EXIT.notCompleted;
  }
  const reason = typeof status.reason === 'string' ? status.reason : undefined;
  switch (status.status) {
    case 'completed': {
      const artifact = (status.artifact as { path?: string } | null)?.path;
      print(`Completed ${id}${artifact === undefined ? '' : `\nArtifact: ${artifact}`}`);
      return EXIT.ok;
    }
    case 'failed':
      print(`Failed ${id}: ${reason ?? 'unknown reason'}`);
      return EXIT.notCompleted;
    case 'cancelled':
      print(`Cancelled ${id}: ${reason ?? ''}`.trimEnd());
      return EXIT.notCompleted;
    default:
      print(`${id} is ${String(status.status)} at ${JSON.stringify(status.state)}`);
      return EXIT.notCompleted;
  }
}
