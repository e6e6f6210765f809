import type { z } from 'zod';
import { LlmError, isLlmError, isTaskCancelled, type LlmErrorCode, type LlmResult } from '../llm/index.js';
import { type JsonValue, type RecordedCall, type StepLlmRequest, type events, rerunOnRetry } from '../machines/index.js';
import { CallFailedError, JournalError, isCallFailed, isJournalError } from './callErrors.js';
import { accountingOf, copyOf, errorInfo, jsonForm, resultAccounting } from './callOutcome.js';
import { itemInProgress } from './fanOutItem.js';
import type { CallCompletedEvent, JournalEnv, SignalSource } from './journalEnv.js';
import { readRecordedOutput, spillIfLarge } from './spilledOutput.js';

type LlmAccounting = z.infer<typeof events.LlmAccounting>;
type ErrorInfo = z.infer<typeof events.ErrorInfo>;
type CallKind = RecordedCall['kind'];
type Outcome = { output: JsonValue; json: string; llm?: LlmAccounting } | { error: ErrorInfo; llm?: LlmAccounting };
/** The fan-out a call is an item of: recorded with it, for progress. */
export type FanOutOf = { name: string; items: number };
/** A call at a reserved position: its fan-out's abort (`own`) and, for an item, the fan-out it belongs to. */
export type Reserved = { own: AbortSignal; fanOut?: FanOutOf };
/** What makes a journal a fan-out item's: the item's call name and position, the step's journal, the item's abort. */
interface ItemScope {
  name: string;
  seq: number;
  step: CallJournal;
  own: AbortSignal;
}

/** An error that is not the call's own outcome but the attempt's end (CANCEL, timeout, shutdown): never recorded. */
const interruption = (signal: AbortSignal, error: unknown): boolean => signal.aborted || isTaskCancelled(error);

/**
 * The journal of one step attempt: `ctx.run` and `ctx.complete`. Each call takes the next position
 * in the step's run; a position the iteration already recorded (an earlier attempt, or an earlier
 * run of this attempt) gives back its recorded outcome without calling; any other call runs, and
 * its `CallCompleted` is appended before the step gets the result. See `StepContext.run` for the
 * contract this implements. A fan-out item's calls (`call.run`, `call.complete`) are kept the same
 * way in a journal of the item's own ({@link forItem}): positions and names count within the item,
 * so items finishing in any order never take each other's positions.
 */
export class CallJournal {
  private readonly bySeq = new Map<number, RecordedCall>();
  /** Calls running now, by position: a retried run of the step that reaches one waits for it instead of calling again. */
  private readonly running = new Map<number, { call: string; kind: CallKind; done: Promise<RecordedCall> }>();
  /** Every recorded call of the iteration, the items' included, in the order they were recorded (earlier attempts' first). */
  private readonly inOrder: RecordedCall[] = [];
  /** The recorded calls of each fan-out item, by item. */
  private readonly byItem = new Map<string, RecordedCall[]>();
  /** Outcomes being appended now: the step's accounting waits for them ({@link seal}). */
  private readonly appending = new Set<Promise<unknown>>();
  /** The step's outcome is being made: no call records anything more. */
  private sealed = false;
  private names = new Set<string>();
  private position = 0;
  private completes = 0;
  private source: SignalSource;
  /** The first rule the step broke: the step fails with it, even if it caught the error. */
  violation: JournalError | undefined;
  /**
   * A call's outcome was not recorded — the call was interrupted (CANCEL, timeout, shutdown) or the
   * workflow or the store refused it: whatever the step returns was built on an outcome that is not
   * in the log, so the attempt ends without an outcome of its own (a timeout still records
   * STEP_TIMEOUT) and a re-run makes the call again.
   */
  lost = false;

  constructor(
    private readonly env: JournalEnv,
    source: SignalSource,
    private readonly scope?: ItemScope,
  ) {
    for (const call of env.recorded) {
      if (call.item === scope?.name) this.bySeq.set(call.seq, call);
      if (scope === undefined) this.remember(call);
    }
    this.source = source;
  }

  /** The journal of the item at `seq` (reserved with {@link reserve}): its recorded calls, made again only where not recorded. */
  forItem(name: string, seq: number, own: AbortSignal): CallJournal {
    return new CallJournal({ ...this.env, recorded: this.byItem.get(name) ?? [] }, this.source, { name, seq, step: this, own });
  }

  /**
   * Before the step's outcome is made: no call records anything from now on (a fan-out's loser
   * that finishes late, a call the step did not wait for), and the appends under way are waited
   * for, so the outcome's accounting ({@link spent}) holds every recorded call and only those.
   */
  seal(): Promise<unknown> | undefined {
    this.sealed = true;
    // Most steps have nothing under way: no promise, so no extra turn before their outcome.
    return this.appending.size === 0 ? undefined : Promise.allSettled([...this.appending]);
  }

  /** A call recorded in this iteration (by the step or one of its items), in the order recorded. */
  private remember(call: RecordedCall): void {
    this.inOrder.push(call);
    if (call.item === undefined) return;
    const calls = this.byItem.get(call.item);
    if (calls === undefined) this.byItem.set(call.item, [call]);
    else calls.push(call);
  }

  /** Another run of an item's function (its retry): names and positions count from the start again; recorded calls are replayed. */
  restart(): void {
    this.names = new Set();
    this.position = 0;
    this.completes = 0;
  }

  /** The step's journal: where a rule broken, or an outcome lost, in an item's journal ends the attempt. */
  private get root(): CallJournal {
    return this.scope?.step ?? this;
  }

  async run<T>(name: string, fn: () => Promise<T> | T): Promise<T> {
    return this.runCall(name, undefined, () => fn());
  }

  /**
   * Takes one position per name now, in order, for calls a fan-out starts later (at most so many at
   * once): their positions do not depend on which call finishes first. Each name is checked as a
   * call's would be (unique in this run, the recorded name at its position). Returns the first position.
   */
  reserve(names: readonly string[], fanOut: string): number {
    const first = this.position;
    for (const name of names) this.claim(name, 'run', fanOut);
    return first;
  }

  /** The outcome recorded at a position, if any: a fan-out reads it before deciding what to run. */
  recordedAt(seq: number): RecordedCall | undefined {
    return this.bySeq.get(seq);
  }

  /**
   * `run` at a position taken with {@link reserve}, with `fn` given the call's own signal: the step's,
   * also aborted by `own`. A call interrupted by `own` alone (a fan-out's loser or sibling) is
   * dropped: nothing is recorded and the attempt goes on; it rejects with `CALL_NOT_RECORDED`.
   */
  runReserved<T>(seq: number, name: string, fn: (signal: AbortSignal) => Promise<T> | T, reserved: Reserved): Promise<T> {
    return this.runCall(name, seq, fn, reserved);
  }

  private async runCall<T>(name: string, seq: number | undefined, fn: (signal: AbortSignal) => Promise<T> | T, reserved?: Reserved): Promise<T> {
    let cause: unknown;
    const root = this.root;
    const invoke = async (signal: AbortSignal): Promise<Outcome> => {
      let value: unknown;
      try {
        value = await this.env.retries.execute(() => fn(signal), signal);
      } catch (error) {
        // An item whose call was not recorded, or that broke a rule, has no outcome of its own to record.
        if (interruption(signal, error) || root.lost || root.violation !== undefined) throw error;
        cause = error;
        return { error: errorInfo(error) };
      }
      const form = jsonForm(value);
      if (form.ok) return { output: form.value, json: form.json };
      return { error: { code: 'INVALID_OUTPUT', message: `Call "${name}" of ${this.who} returned ${form.what}, which JSON cannot hold`, retryable: false } };
    };
    const entry = await (seq === undefined ? this.call(name, 'run', invoke) : this.at(name, 'run', seq, invoke, reserved));
    if (entry.error !== undefined) throw new CallFailedError(entry.error, this.where(name), cause);
    return copyOf(await readRecordedOutput(this.env.artifacts, this.env.workflowId, entry.output ?? null)) as T;
  }

  async complete<T>(request: StepLlmRequest<T>): Promise<LlmResult<T>> {
    this.completes += 1;
    const { name: given, ...llmRequest } = request;
    const name = given ?? `complete#${this.completes}`;
    const env = this.env;
    let cause: unknown;
    const entry = await this.call(name, 'complete', async (signal) => {
      try {
        const result = await this.callModel(llmRequest, name, signal);
        const recorded: Record<string, JsonValue> = { text: result.text };
        if (result.output !== undefined) {
          const form = jsonForm(result.output);
          if (!form.ok)
            return {
              error: { code: 'INVALID_OUTPUT', message: `Model call "${name}" of ${this.who} returned ${form.what} as its output`, retryable: false },
              llm: accountingOf(result),
            };
          recorded.output = form.value;
        }
        if (result.stopReason !== undefined) recorded.stopReason = result.stopReason;
        return { output: recorded, json: JSON.stringify(recorded), llm: accountingOf(result) };
      } catch (error) {
        if (interruption(signal, error)) throw error;
        cause = error;
        const spent = isLlmError(error) && error.accounting !== undefined && error.accounting.attempts > 0 ? accountingOf(error.accounting) : undefined;
        return spent === undefined ? { error: errorInfo(error) } : { error: errorInfo(error), llm: spent };
      }
    });
    if (entry.error !== undefined) {
      const accounting = entry.llm === undefined ? undefined : resultAccounting(entry.llm);
      // The recorded error, the same live and replayed (a retry-after hint or an HTTP status is not recorded); the original is its cause, live.
      throw new LlmError(entry.error.code as LlmErrorCode, entry.error.message, {
        ...(accounting === undefined ? {} : { accounting }),
        ...(cause === undefined ? {} : { cause }),
      });
    }
    const output = (await readRecordedOutput(env.artifacts, env.workflowId, entry.output ?? null)) as {
      text?: string;
      output?: JsonValue;
      stopReason?: string;
    } | null;
    const result: LlmResult<T> = { text: output?.text ?? '', ...(resultAccounting(entry.llm) as Omit<LlmResult<T>, 'text'>) };
    if (output?.output !== undefined) result.output = copyOf(output.output) as T;
    if (output?.stopReason !== undefined) result.stopReason = output.stopReason;
    return result;
  }

  private callModel<T>(request: Omit<StepLlmRequest<T>, 'name'>, call: string, signal: AbortSignal): Promise<LlmResult<T>> {
    const env = this.env;
    return env.llm.complete({
      ...request,
      context: {
        workflowId: env.workflowId,
        definition: env.definition,
        step: env.step,
        iteration: env.iteration,
        attempt: env.attempt,
        idempotencyKey: env.idempotencyKey,
        call,
        ...(this.scope === undefined ? {} : { item: this.scope.name }),
      },
      signal,
      ...(env.onDelta === undefined ? {} : { onDelta: env.onDelta }),
    });
  }

  /** After the step function (or an item's) returned a value: the rule it broke, if any — recorded calls it never made included. */
  unmet(): JournalError | undefined {
    const root = this.root;
    if (root.violation !== undefined) return root.violation;
    for (const recorded of this.bySeq.values()) {
      if (recorded.seq < this.position) continue;
      return this.broke(
        new JournalError(
          'NONDETERMINISM',
          `${this.subject} (iteration ${this.env.iteration}, attempt ${this.env.attempt}) returned after ${this.position} journaled calls without making call "${recorded.call}" (position ${recorded.seq}), which attempt ${recorded.attempt} recorded: a re-run must make the same calls in the same order`,
          this.where(recorded.call),
        ),
      );
    }
    return undefined;
  }

  /**
   * The accounting of every model call of the iteration, the items' included: recorded ones, from
   * earlier attempts included, in the order they were recorded.
   */
  spent(): LlmAccounting[] {
    return this.inOrder.flatMap((call) => (call.llm === undefined ? [] : [call.llm]));
  }

  /** Whether `error` is the retryable failure of the call a retried attempt runs again ({@link rerunOnRetry}): the step may retry for it. */
  retriesCall(error: unknown): boolean {
    if (!isCallFailed(error) || !error.retryable) return false;
    return rerunOnRetry([...this.bySeq.values()])[0]?.call === error.call;
  }

  /** A rule broken outside a call of this journal (a fan-out item's call used after the item ended): the step fails with it. */
  refuse(message: string, call: string): JournalError {
    return this.broke(new JournalError('INVALID_CALL', message, { step: this.env.step, call }));
  }

  /** Who makes this journal's calls, in messages: the step, or one of its fan-out items. */
  private get who(): string {
    return this.scope === undefined ? `step "${this.env.step}"` : `item "${this.scope.name}" of step "${this.env.step}"`;
  }

  /** {@link who}, opening a sentence. */
  private get subject(): string {
    const who = this.who;
    return who.charAt(0).toUpperCase() + who.slice(1);
  }

  /** A call's step and name in an error (an item's call under the item's: `doc/3/fetch`). */
  private where(name: string): { step: string; call: string } {
    return { step: this.env.step, call: this.scope === undefined ? name : `${this.scope.name}/${name}` };
  }

  private broke(error: JournalError): JournalError {
    this.root.violation ??= error;
    return error;
  }

  /** An outcome was not recorded: the attempt ends without one of its own. */
  private lose(): void {
    this.root.lost = true;
  }

  private async call(name: string, kind: CallKind, invoke: (signal: AbortSignal) => Promise<Outcome>): Promise<RecordedCall> {
    return this.at(name, kind, this.claim(name, kind), invoke);
  }

  /** Checks a call's name (an item's of `fanOut`), takes its position and checks it against the journal; returns the position. */
  private claim(name: string, kind: CallKind, fanOut?: string): number {
    const where = this.where(String(name));
    const inItem = itemInProgress(this);
    if (inItem !== undefined)
      throw this.broke(
        new JournalError(
          'INVALID_CALL',
          `${this.subject} made call "${String(name)}" inside fan-out item "${inItem}": the step's journaled calls (ctx.run, ctx.complete, ctx.child, ctx.map, ctx.parallel) cannot run inside an item, whose calls finish in any order; use the item's call (call.run, call.complete, call.child)`,
          where,
        ),
      );
    if (typeof name !== 'string' || name.length === 0)
      throw this.broke(new JournalError('INVALID_CALL', `${this.subject} made a call whose name is not a non-empty string`, where));
    if (this.names.has(name)) {
      if (fanOut !== undefined)
        throw this.broke(
          new JournalError(
            'DUPLICATE_CALL',
            `${this.subject} started fan-out "${fanOut}" twice in one run, or made a call named "${name}" before it: each fan-out needs a name of its own in the step, which is how a re-run finds its items`,
            where,
          ),
        );
      throw this.broke(
        new JournalError(
          'DUPLICATE_CALL',
          `${this.subject} made two calls named "${name}" in one run: each journaled call needs its own name, which is how a re-run finds its recorded outcome`,
          where,
        ),
      );
    }
    this.names.add(name);
    const seq = this.position++;
    const recorded = this.bySeq.get(seq) ?? this.running.get(seq);
    if (recorded !== undefined) {
      if (recorded.call !== name || recorded.kind !== kind) throw this.broke(this.divergence(name, kind, seq, `"${recorded.call}" (${recorded.kind})`));
      return seq;
    }
    for (const other of this.bySeq.values()) {
      if (other.call === name) throw this.broke(this.divergence(name, kind, seq, `nothing, and recorded "${name}" at position ${other.seq}`));
    }
    return seq;
  }

  /** The call at a claimed position: its recorded (or running) outcome, else it is made now. */
  private async at(name: string, kind: CallKind, seq: number, invoke: (signal: AbortSignal) => Promise<Outcome>, reserved?: Reserved): Promise<RecordedCall> {
    const recorded = this.bySeq.get(seq) ?? this.running.get(seq);
    if (recorded !== undefined) return 'done' in recorded ? recorded.done : recorded;
    // The attempt is over (CANCEL, timeout, shutdown): a step that swallowed the interruption makes no new call.
    if (this.source.signal.aborted) {
      this.lose();
      throw new JournalError('CALL_NOT_RECORDED', `${this.subject} was aborted before call "${name}": the call was not made`, this.where(name));
    }
    // Nor does an item its fan-out no longer wants, nor an attempt that lost an outcome or is making its own.
    if (this.scope?.own.aborted === true) throw this.dropped(name);
    if (this.root.lost || this.root.sealed)
      throw new JournalError('CALL_NOT_RECORDED', `${this.subject} made call "${name}" after its attempt ended: the call was not made`, this.where(name));
    const done = this.make(name, kind, seq, invoke, reserved);
    this.running.set(seq, { call: name, kind, done });
    try {
      return await done;
    } finally {
      this.running.delete(seq);
    }
  }

  private dropped(name: string): JournalError {
    return new JournalError('CALL_NOT_RECORDED', `Call "${name}" of ${this.who} was aborted by its fan-out: its outcome is not recorded`, this.where(name));
  }

  private divergence(name: string, kind: CallKind, seq: number, expected: string): JournalError {
    const env = this.env;
    return new JournalError(
      'NONDETERMINISM',
      `${this.subject} (iteration ${env.iteration}, attempt ${env.attempt}) made call "${name}" (${kind}) at position ${seq}, where the journal has ${expected}: a re-run must make the same journaled calls in the same order`,
      this.where(name),
    );
  }

  private async make(name: string, kind: CallKind, seq: number, invoke: (signal: AbortSignal) => Promise<Outcome>, reserved?: Reserved): Promise<RecordedCall> {
    const scope = this.scope;
    const root = this.root;
    // An item's calls stop with it (their signal), but one that finished is recorded all the same.
    const own = reserved?.own ?? scope?.own;
    const fanOut = reserved?.fanOut;
    const env = this.env;
    const started = env.now().getTime();
    const stepSignal = this.source.signal;
    let outcome: Outcome;
    try {
      outcome = await invoke(own === undefined ? stepSignal : AbortSignal.any([stepSignal, own]));
    } catch (error) {
      if (own?.aborted === true && !stepSignal.aborted) throw this.dropped(name);
      // Interrupted (or an item that broke a rule, which fails the step): nothing is recorded, and nothing the step does with this may be either.
      if (root.violation === undefined) this.lose();
      throw error;
    }
    // A fan-out no longer wants this item (another item won, or a sibling failed): neither its outcome nor what
    // its `run` returned is recorded (the function may have swallowed the abort); a model call that answered is (it was paid for).
    if (own?.aborted === true && !stepSignal.aborted && kind === 'run') throw this.dropped(name);
    const durationMs = Math.max(0, env.now().getTime() - started);
    const entry: RecordedCall =
      scope === undefined ? { call: name, kind, seq, attempt: env.attempt } : { item: scope.name, call: name, kind, seq, attempt: env.attempt };
    const position = scope === undefined ? `${seq}` : `${scope.seq}.${seq}`;
    if ('error' in outcome) entry.error = outcome.error;
    else
      entry.output = (
        await spillIfLarge(
          outcome.output,
          outcome.json,
          env.artifacts,
          env.workflowId,
          `calls/${env.step}-${env.iteration}-${position}.${typeof outcome.output === 'string' ? 'txt' : 'json'}`,
          env.maxInlineOutputBytes,
        )
      ).recorded;
    if (outcome.llm !== undefined) entry.llm = outcome.llm;
    const event: CallCompletedEvent = {
      type: 'CallCompleted',
      data: { v: 1, step: env.step, iteration: env.iteration, ...entry, durationMs, ...(fanOut === undefined ? {} : { fanOut }) },
    };
    const where = this.where(name);
    // An outcome this one may be built on was not recorded: nor is this one (an item that caught its call's loss and went on).
    if (root.lost) throw new JournalError('CALL_NOT_RECORDED', `Call "${name}" of ${this.who} came after a call whose outcome was not recorded`, where);
    if (root.sealed) throw new JournalError('CALL_NOT_RECORDED', `Call "${name}" of ${this.who} finished after the step did: not recorded`, where);
    let accepted: boolean;
    const appended = env.recorder.recordCall(event, env.startedId);
    root.appending.add(appended);
    try {
      accepted = await appended;
    } catch (error) {
      this.lose();
      throw new JournalError(
        'CALL_NOT_RECORDED',
        `The outcome of call "${name}" of ${this.who} could not be recorded: ${(error as Error).message}`,
        where,
        error,
      );
    } finally {
      root.appending.delete(appended);
    }
    if (!accepted) {
      this.lose();
      throw new JournalError(
        'CALL_NOT_RECORDED',
        `Workflow ${env.workflowId} no longer accepts call "${name}" of ${this.who} (cancelled, timed out, or another attempt took over)`,
        where,
      );
    }
    this.bySeq.set(seq, entry);
    root.remember(entry);
    return entry;
  }
}

/** Errors the step runner must not retry at the step level: a journaled call's error was retried (or not) where it happened. */
export const isJournaledError = (error: unknown): boolean => isCallFailed(error) || isJournalError(error);
