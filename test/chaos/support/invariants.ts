import { recordedCallsIn, type ChaosCall } from './chaosModel.js';
import type { LoggedEvent } from './readWorkflow.js';

/** What a client was told: a start answered 200/201 (or `ecl run` printed it), a command answered 202. */
export interface Acks {
  starts: Set<string>;
  commands: Array<{ id: string; type: string; revision: number }>;
}

export interface ObservedWorkflow {
  /** The client's id (the API's view). */
  id: string;
  /** As stored, and as the model saw it (`acme:<id>` through the API). */
  storedId: string;
  log: LoggedEvent[];
  /** The status read model. */
  status: { status: string; revision: number } & Record<string, unknown>;
  /** The audit read model. */
  audit: Array<{ revision: number; type: string }>;
}

export interface CallFigures {
  calls: number;
  /** Calls whose outcome never reached the log (the process died first). */
  interrupted: number;
  /** Of those, made again by a later process: every one, exactly once per later attempt. */
  madeAgain: number;
}

const RECORDED_BY: Record<string, string> = {
  APPROVE: 'HumanDecisionReceived',
  REJECT: 'HumanDecisionReceived',
  REQUEST_REVISION: 'HumanDecisionReceived',
  CANCEL: 'WorkflowCancelled',
};
const TERMINAL_TYPES: Record<string, string> = { WorkflowCompleted: 'completed', WorkflowFailed: 'failed', WorkflowCancelled: 'cancelled' };

/**
 * The campaign's invariants for one settled workflow, checked through what the public surface
 * shows (its SSE log, its status and audit read models) and the fake model's count of calls.
 * Returns one line per violation.
 */
export function checkWorkflow(
  workflow: ObservedWorkflow,
  acks: Acks,
  calls: readonly ChaosCall[],
  settledRevision: number | undefined,
  figures: CallFigures,
): string[] {
  const { id, log } = workflow;
  const violations: string[] = [];
  const fail = (text: string) => violations.push(`${id}: ${text}`);

  // The log itself: whole, in order, ended.
  log.forEach((event, index) => {
    if (event.revision !== index) fail(`revision ${event.revision} at position ${index} of the log`);
  });
  const last = log.at(-1);
  if (last === undefined) return [`${id}: empty log`];
  if (!(last.type in TERMINAL_TYPES)) fail(`not settled: last event ${last.type}`);
  if (last.type === 'WorkflowFailed') fail(`failed: ${JSON.stringify(last.data.reason)}`);

  // Every acknowledgement is in the log.
  if (acks.starts.has(id) && log[0]?.type !== 'WorkflowStarted') fail('acknowledged start missing from the log');
  for (const command of acks.commands.filter((ack) => ack.id === id)) {
    const recorded = log[command.revision];
    if (recorded?.type !== RECORDED_BY[command.type])
      fail(`acknowledged ${command.type} at revision ${command.revision} is not in the log (found ${recorded?.type ?? 'nothing'})`);
  }

  // One StepCompleted per (step, iteration), and no attempt started after it.
  const completed = new Map<string, number>();
  for (const event of log) {
    const key = `${String(event.data.step)}#${String(event.data.iteration)}`;
    if (event.type === 'StepCompleted') {
      if (completed.has(key)) fail(`StepCompleted twice for ${key}`);
      completed.set(key, event.revision);
    } else if (event.type === 'StepStarted' && completed.has(key)) fail(`StepStarted for ${key} after it completed`);
  }

  // Model calls: a recorded call is never made again; an interrupted one is made again once per later attempt.
  const recorded = new Set(log.flatMap((event) => recordedCallsIn(event.data)));
  const byKey = new Map<string, ChaosCall[]>();
  for (const call of calls) if (call.workflowId === workflow.storedId) byKey.set(call.key, [...(byKey.get(call.key) ?? []), call]);
  for (const [key, made] of byKey) {
    made.sort((a, b) => a.index - b.index);
    figures.calls += made.length;
    const recordedHere = [...new Set(made.filter((call) => recorded.has(call.index)).map((call) => call.index))];
    if (recordedHere.length > 1) fail(`${key}: ${recordedHere.length} outcomes recorded (calls ${recordedHere.join(', ')})`);
    const lastCall = made.at(-1) as ChaosCall;
    if (recordedHere.length === 1 && recordedHere[0] !== lastCall.index)
      fail(`${key}: call #${recordedHere[0]} was recorded, then made again as #${lastCall.index}`);
    for (let i = 1; i < made.length; i++) {
      if ((made[i] as ChaosCall).generation <= (made[i - 1] as ChaosCall).generation)
        fail(`${key}: calls #${made[i - 1]?.index} and #${made[i]?.index} in the same process life`);
    }
    figures.interrupted += made.length - recordedHere.length;
    if (recordedHere.length === 1) figures.madeAgain += made.length - 1;
  }
  for (const key of completed.keys()) {
    const [step, iteration] = key.split('#');
    const keys = [...byKey.keys()].filter((callKey) => callKey.startsWith(`${workflow.storedId}/${step}/${iteration}/`));
    if (keys.length === 0) fail(`${key} completed without a model call`);
    for (const callKey of keys)
      if (!byKey.get(callKey)?.some((call) => recorded.has(call.index))) fail(`${callKey}: step completed but the call's outcome is not in the log`);
  }

  // Read models equal the log.
  if (workflow.status.revision !== last.revision) fail(`status read model at revision ${workflow.status.revision}, log at ${last.revision}`);
  const expectedStatus = TERMINAL_TYPES[last.type];
  if (expectedStatus !== undefined && workflow.status.status !== expectedStatus)
    fail(`status read model says ${workflow.status.status}, log ends with ${last.type}`);
  const auditTrail = workflow.audit.map((entry) => `${entry.revision}:${entry.type}`).join(' ');
  const logTrail = log.map((event) => `${event.revision}:${event.type}`).join(' ');
  if (auditTrail !== logTrail) fail(`audit read model differs from the log:\n    audit ${auditTrail}\n    log   ${logTrail}`);

  // Settled workflows stay as they were, whatever restarted after.
  if (settledRevision !== undefined && settledRevision !== last.revision) fail(`settled at revision ${settledRevision}, now at ${last.revision}`);
  return violations;
}
