import { createHash } from 'node:crypto';
import type { AnyWorkflowDefinition, JsonValue } from '../machines/index.js';
import { TENANT_SEPARATOR } from '../edge/index.js';
import { isCallFailed } from './callErrors.js';
import type { CallJournal } from './callJournal.js';
import type { ChildOutcome, ChildWorkflowPort } from './types.js';

/**
 * A child workflow failed or was cancelled: what `ctx.child` (and a fan-out item's `call.child`)
 * rejects with, live and replayed alike (the wait's journaled call recorded it). `code` is always
 * `CHILD_FAILED`; `childWorkflowId` names the child; the message carries the child's reason. Never
 * retryable. Check with {@link isChildFailed}.
 */
export class ChildFailedError extends Error {
  readonly code = 'CHILD_FAILED';
  readonly retryable = false;
  /** The child's id. */
  readonly childWorkflowId: string;

  constructor(childWorkflowId: string, message: string) {
    super(message);
    this.name = 'ChildFailedError';
    this.childWorkflowId = childWorkflowId;
  }
}

/** Whether `error` is a {@link ChildFailedError} (by name and code, not `instanceof`). */
export const isChildFailed = (error: unknown): error is ChildFailedError =>
  typeof error === 'object' &&
  error !== null &&
  (error as { name?: unknown }).name === 'ChildFailedError' &&
  (error as { code?: unknown }).code === 'CHILD_FAILED';

const MAX_ID = 128;

/**
 * The child's id, the same on every run of the parent's step: `<parent id>.<call slug>-<hash>`, where
 * the hash (sha256, 12 hex digits) covers parent id, step, iteration and call name, and the slug is
 * the call name reduced to the id alphabet. It keeps the parent's tenant prefix and stays within
 * the workflow-id rule (1-128 of `A-Za-z0-9 _ . -`), shortening the parent part when needed.
 */
export function childIdOf(parentId: string, step: string, iteration: number, call: string): string {
  const separator = parentId.indexOf(TENANT_SEPARATOR);
  const prefix = separator === -1 ? '' : parentId.slice(0, separator + 1);
  const bare = parentId.slice(prefix.length);
  const hash = createHash('sha256')
    .update(JSON.stringify([parentId, step, iteration, call]))
    .digest('hex')
    .slice(0, 12);
  const slug = call.replace(/[^A-Za-z0-9_.-]+/g, '-').slice(0, 32);
  const suffix = `.${slug}-${hash}`;
  return `${prefix}${bare.slice(0, MAX_ID - suffix.length)}${suffix}`;
}

/** The tenant of a stored id (`<tenant>:<id>`), if any. */
const tenantOf = (workflowId: string): string | undefined => {
  const separator = workflowId.indexOf(TENANT_SEPARATOR);
  return separator === -1 ? undefined : workflowId.slice(0, separator);
};

/** What the step runner knows for its step's children. */
export interface ChildEnv {
  /** The engine; absent when the step runner was built without one (then `child` fails with `CHILDREN_UNAVAILABLE`). */
  port: ChildWorkflowPort | undefined;
  workflowId: string;
  step: string;
  iteration: number;
  /** Whether the attempt was aborted by `engine.close()`: then a waiting child is left running (the re-run waits again). */
  shuttingDown: () => boolean;
  /** The step's deadline, told that the step now waits on a child (until the returned function is called). */
  waitOnChild?: () => () => void;
}

const definitionName = (definition: string | AnyWorkflowDefinition): string => (typeof definition === 'string' ? definition : definition.name);

function portOf(env: ChildEnv): ChildWorkflowPort {
  if (env.port !== undefined) return env.port;
  throw Object.assign(new Error(`Step "${env.step}" started a child workflow, but this step runner has no engine to run it`), {
    code: 'CHILDREN_UNAVAILABLE',
  });
}

/** Starts the child under `call` (idempotent by its derived id); resolves to its id. */
async function startChild(env: ChildEnv, call: string, definition: string | AnyWorkflowDefinition, input: unknown): Promise<string> {
  const id = childIdOf(env.workflowId, env.step, env.iteration, call);
  const tenant = tenantOf(env.workflowId);
  await portOf(env).start(definition, input, {
    id,
    ...(tenant === undefined ? {} : { tenant }),
    parent: { workflowId: env.workflowId, step: env.step, call },
  });
  return id;
}

/**
 * Waits for the child's terminal state: its output, or a {@link ChildFailedError} with its reason.
 * An abort of `signal` other than a shutdown (CANCEL of the parent, a fan-out's loser, a timeout)
 * cancels the child first.
 */
async function awaitChild(env: ChildEnv, childId: string, definition: string, signal: AbortSignal): Promise<JsonValue> {
  const port = portOf(env);
  let view: ChildOutcome;
  const waited = env.waitOnChild?.();
  try {
    view = await port.wait(childId, signal, env.workflowId);
  } catch (error) {
    if (signal.aborted && !env.shuttingDown()) await port.cancel(childId, `Its parent ${env.workflowId} no longer waits for it (step "${env.step}")`);
    throw error;
  } finally {
    waited?.();
  }
  if (view.status === 'completed') return view.output;
  throw new ChildFailedError(childId, `Child workflow ${childId} (${definition}) ${view.status}: ${view.reason ?? 'no reason given'}`);
}

/** `ctx.child`: one journaled call that starts the child and (by default) waits for it. */
export async function runChild(
  journal: CallJournal,
  env: ChildEnv,
  signal: () => AbortSignal,
  name: string,
  definition: string | AnyWorkflowDefinition,
  input: unknown,
  wait: boolean,
): Promise<JsonValue | { workflowId: string }> {
  const childId = childIdOf(env.workflowId, env.step, env.iteration, name);
  try {
    const recorded = (await journal.run(name, async () => {
      const id = await startChild(env, name, definition, input);
      if (!wait) return { workflowId: id };
      return { workflowId: id, output: await awaitChild(env, id, definitionName(definition), signal()) };
    })) as { workflowId: string; output?: JsonValue };
    return wait ? (recorded.output ?? null) : { workflowId: recorded.workflowId };
  } catch (error) {
    // The recorded failure comes back as a CallFailedError; give it its own class again, live and replayed alike.
    if (isCallFailed(error) && error.code === 'CHILD_FAILED') throw new ChildFailedError(childId, error.message);
    throw error;
  }
}

/** A fan-out item's `call.child`: start and wait inside the item's own journaled call (not journaled on its own). */
export async function runItemChild(
  env: ChildEnv,
  call: string,
  signal: AbortSignal,
  definition: string | AnyWorkflowDefinition,
  input: unknown,
  key: string | undefined,
): Promise<JsonValue> {
  const id = await startChild(env, key === undefined ? call : `${call}#${key}`, definition, input);
  return awaitChild(env, id, definitionName(definition), signal);
}
