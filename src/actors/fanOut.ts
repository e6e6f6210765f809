import type { AnyWorkflowDefinition, CallScope, FanOutOptions, ItemError, JsonValue } from '../machines/index.js';
import { CallFailedError, JournalError, isCallFailed } from './callErrors.js';
import type { CallJournal } from './callJournal.js';
import { type ChildEnv, runItemChild } from './childWorkflows.js';
import { runAsItem } from './fanOutItem.js';

/** Items running at once when `concurrency` is not given. */
export const DEFAULT_FAN_OUT_CONCURRENCY = 8;

/** One item of a fan-out: its label in the call name (`<name>/<label>`) and what it runs. */
interface Branch {
  label: string;
  run: (call: CallScope) => unknown;
}

type Settled = { ok: true; value: JsonValue } | { ok: false; error: ItemError };

/** What `<name>/first` records: the items the join returns, by index. */
interface Join {
  won: number[];
  failed: number[];
}

/** A signal that never aborts: replays and the join need none of their own. */
const NEVER = new AbortController().signal;

const invalid = (step: string, name: string, problem: string): JournalError =>
  new JournalError('INVALID_CALL', `Fan-out "${name}" of step "${step}": ${problem}`, { step, call: String(name) });

/**
 * The fan-out behind `ctx.map` and `ctx.parallel`. Every item's position in the step's journal is
 * taken now, synchronously and in item order (plus one for the join under `first`), so positions
 * never depend on which item finishes first; items then start in order, at most `concurrency` at
 * once. Recorded items are replayed first, in index order (they count toward `first` before any
 * item runs); only the others run. Under `first`, which items won is recorded as the call
 * `<name>/first`: once it is, a re-run returns exactly those items and runs nothing. Resolves to
 * the items the result holds, in item order.
 */
export function fanOut(
  journal: CallJournal,
  env: ChildEnv,
  name: string,
  branches: readonly Branch[],
  options: FanOutOptions = {},
): Promise<{ index: number; settled: Settled }[]> {
  const step = env.step;
  const n = branches.length;
  const concurrency = options.concurrency ?? DEFAULT_FAN_OUT_CONCURRENCY;
  const first = options.first;
  const collect = options.onItemError === 'collect';
  if (typeof name !== 'string' || name.length === 0) return Promise.reject(invalid(step, name, 'its name must be a non-empty string'));
  if (!Number.isInteger(concurrency) || concurrency < 1)
    return Promise.reject(invalid(step, name, `concurrency must be a whole number ≥ 1, not ${concurrency}`));
  if (first !== undefined && (!Number.isInteger(first) || first < 1 || first > n))
    return Promise.reject(invalid(step, name, `first must be a whole number from 1 to the ${n} items, not ${first}`));
  if (options.onItemError !== undefined && options.onItemError !== 'fail' && !collect)
    return Promise.reject(invalid(step, name, `onItemError must be 'fail' or 'collect', not ${String(options.onItemError)}`));
  const names = branches.map((branch) => `${name}/${branch.label}`);
  let base: number;
  try {
    base = journal.reserve(first === undefined ? names : [...names, `${name}/first`], name);
  } catch (error) {
    return Promise.reject(error as Error);
  }

  const settle = async (index: number, own: AbortSignal): Promise<Settled> => {
    const call = names[index] as string;
    const branch = branches[index] as Branch;
    // The item's own journal: its calls are replayed when recorded, whichever order items finish in.
    const calls = journal.forItem(call, base + index, own);
    // Once the item's outcome is settled, its call records nothing more: a call kept and used later is refused.
    let ended = false;
    const open = (): Promise<void> =>
      ended
        ? Promise.reject(
            journal.refuse(`Item "${call}" of step "${step}" has ended: its call (call.run, call.complete, call.child) cannot be used after it`, call),
          )
        : Promise.resolve();
    try {
      const value = await journal.runReserved(
        base + index,
        call,
        async (signal) => {
          calls.restart();
          const scope: CallScope = {
            name: call,
            signal,
            run: (callName, fn) => open().then(() => calls.run(callName, fn)),
            complete: (request) => open().then(() => calls.complete(request)),
            child: <O extends JsonValue>(definition: string | AnyWorkflowDefinition, input: unknown, childOptions?: { key?: string }) =>
              open().then(() => runItemChild(env, call, signal, definition, input, childOptions?.key) as Promise<O>),
          };
          const value = (await runAsItem(journal, call, () => branch.run(scope))) as JsonValue;
          const broken = calls.unmet();
          if (broken !== undefined) throw broken;
          return value;
        },
        { own, fanOut: { name, items: n } },
      );
      return { ok: true, value };
    } catch (error) {
      if (isCallFailed(error) && error.call === call) return { ok: false, error: { code: error.code, message: error.message, retryable: error.retryable } };
      throw error;
    } finally {
      ended = true;
    }
  };
  const failure = (index: number, error: ItemError): CallFailedError =>
    new CallFailedError(
      { ...error, message: `Item ${branches[index]?.label} of fan-out "${name}" (call "${names[index]}") failed: ${error.message}` },
      { step, call: names[index] as string },
    );
  /** The join: recorded live, or the recorded one returned as it is. */
  const join = (live: Join): Promise<Join> =>
    journal.runReserved(base + n, `${name}/first`, () => live as unknown as JsonValue, { own: NEVER }) as unknown as Promise<Join>;

  return (async () => {
    const results = new Map<number, Settled>();
    if (first !== undefined && journal.recordedAt(base + n) !== undefined) {
      const recorded = await join({ won: [], failed: [] });
      const included = [...recorded.won, ...recorded.failed].sort((a, b) => a - b);
      for (const index of included) results.set(index, await settle(index, NEVER));
      return included.map((index) => ({ index, settled: results.get(index) as Settled }));
    }

    const won: number[] = [];
    const failed: number[] = [];
    const done = (): boolean => first !== undefined && won.length >= first;
    const note = (index: number, settled: Settled): void => {
      results.set(index, settled);
      if (settled.ok) won.push(index);
      else if (!collect) throw failure(index, settled.error);
      else failed.push(index);
    };
    // Under 'fail', a recorded item error means the run that recorded it failed there (the items still
    // running were aborted and recorded nothing): fail again with it, whatever else was recorded.
    if (!collect) {
      const failedAt = branches.findIndex((_branch, index) => journal.recordedAt(base + index)?.error !== undefined);
      if (failedAt !== -1) note(failedAt, await settle(failedAt, NEVER));
    }
    // Recorded items first, in index order: they are not run again, and count toward `first` before anything runs.
    for (let index = 0; index < n && !done(); index++) if (journal.recordedAt(base + index) !== undefined) note(index, await settle(index, NEVER));
    const pending: number[] = [];
    for (let index = 0; index < n; index++) if (!results.has(index)) pending.push(index);
    if (!done()) await pool(pending, concurrency, settle, note, done);

    if (first === undefined) return [...results.keys()].sort((a, b) => a - b).map((index) => ({ index, settled: results.get(index) as Settled }));
    const recorded = await join({ won, failed });
    return [...recorded.won, ...recorded.failed].sort((a, b) => a - b).map((index) => ({ index, settled: results.get(index) as Settled }));
  })();
}

/**
 * Runs `pending` in order, at most `concurrency` at once, each with its own AbortController. Ends when
 * all settled or `done()` holds; on the first error (`note` throwing an item's failure, or a call
 * interrupted with the step) it rejects. Either way the items still running are aborted: their
 * calls record nothing, and their late rejections are ignored.
 */
function pool(
  pending: readonly number[],
  concurrency: number,
  settle: (index: number, own: AbortSignal) => Promise<Settled>,
  note: (index: number, settled: Settled) => void,
  done: () => boolean,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const running = new Map<number, AbortController>();
    let next = 0;
    let stopped = false;
    const stop = (): void => {
      stopped = true;
      for (const controller of running.values()) controller.abort(new Error('The fan-out no longer needs this item'));
    };
    const launch = (): void => {
      while (!stopped && running.size < concurrency && next < pending.length) {
        const index = pending[next++] as number;
        const controller = new AbortController();
        running.set(index, controller);
        settle(index, controller.signal).then(
          (settled) => {
            running.delete(index);
            if (stopped) return;
            try {
              note(index, settled);
            } catch (error) {
              stop();
              reject(error as Error);
              return;
            }
            if (done() || (running.size === 0 && next >= pending.length)) {
              stop();
              resolve();
            } else launch();
          },
          (error: unknown) => {
            running.delete(index);
            if (stopped) return;
            stop();
            reject(error as Error);
          },
        );
      }
    };
    launch();
    if (pending.length === 0) resolve();
  });
}

/** `ctx.map`: one branch per item, labelled by index; values (or outcomes) in item order. */
export async function mapItems<T>(
  journal: CallJournal,
  env: ChildEnv,
  name: string,
  items: readonly T[],
  fn: (item: T, index: number, call: CallScope) => unknown,
  options?: FanOutOptions,
): Promise<unknown[]> {
  if (!Array.isArray(items)) throw invalid(env.step, name, 'items must be an array');
  const branches = items.map((item, index) => ({ label: String(index), run: (call: CallScope) => fn(item, index, call) }));
  const out = await fanOut(journal, env, name, branches, options);
  if (options?.onItemError === 'collect') return out.map(({ index, settled }) => ({ index, ...settled }));
  return out.map(({ settled }) => (settled as { value: JsonValue }).value);
}

/** `ctx.parallel`: one branch per key, in the object's key order; results (or outcomes) by key. */
export async function parallelBranches(
  journal: CallJournal,
  env: ChildEnv,
  name: string,
  branches: Record<string, (call: CallScope) => unknown>,
  options?: FanOutOptions,
): Promise<Record<string, unknown>> {
  if (typeof branches !== 'object' || branches === null) throw invalid(env.step, name, 'branches must be an object of functions');
  const keys = Object.keys(branches);
  const out = await fanOut(
    journal,
    env,
    name,
    keys.map((key) => ({ label: key, run: branches[key] as (call: CallScope) => unknown })),
    options,
  );
  const collect = options?.onItemError === 'collect';
  return Object.fromEntries(out.map(({ index, settled }) => [keys[index], collect ? settled : (settled as { value: JsonValue }).value]));
}
