import type { z } from 'zod';
import { LlmError, isLlmError, isTaskCancelled, type LlmErrorCode, type LlmResult } from '../llm/index.js';
import { type JsonValue, type RecordedCall, type StepLlmRequest, type events, rerunOnRetry } from '../machines/index.js';
import { CallFailedError, JournalError, isCallFailed, isJournalError } from './callErrors.js';
import { accountingOf, copyOf, errorInfo, jsonForm, resultAccounting, totalAccounting } from './callOutcome.js';
import { itemInProgress } from './fanOutItem.js';
import type { CallCompletedEvent, JournalEnv, SignalSource } from './journalEnv.js';
import { readRecordedOutput, spillIfLarge } from './spilledOutput.js';

type LlmAccounting = z.infer<typeof events.LlmAccounting>;
type ErrorInfo = z.infer<typeof events.ErrorInfo>;
type CallKind = RecordedCall['kind'];
type Outcome = { output: JsonValue; json: string; llm?: LlmAccounting } | { error: ErrorInfo; llm?: LlmAccounting };
/** The fan-out a call is an item of: recorded with it, for progress. */
export type FanOutOf = { name: string; items: number };
/**
 * A call at a reserved position: its fan-out's abort (`own`); for an item, what its model calls
 * spent without a journal entry of their own (`spent`) and the fan-out it belongs to.
 */
export type Reserved = { own: AbortSignal; spent?: readonly LlmAccounting[]; fanOut?: FanOutOf };

/** An error that is not the call's own outcome but the attempt's end (CANCEL, timeout, shutdown): never recorded. */
const interruption = (signal: AbortSignal, error: unknown): boolean => signal.aborted || isTaskCancelled(error);

/**
 * The journal of one step attempt: `ctx.run` and `ctx.complete`. Each call takes the next position
 * in the step's run; a position the iteration already recorded (an earlier attempt, or an earlier
 * run of this attempt) gives back its recorded outcome without calling; any other call runs, and
 * its `CallCompleted` is appended before the step gets the result. See `StepContext.run` for the
 * contract this implements.
 */
export class CallJournal {
  private readonly bySeq = new Map<number, RecordedCall>();
  /** Calls running now, by position: a retried run of the step that reaches one waits for it instead of calling again. */
  private readonly running = new Map<number, { call: string; kind: CallKind; done: Promise<RecordedCall> }>();
  /** The model calls of fan-out items aborted by their fan-out: not recorded with an outcome, still spent. */
  private readonly abandoned = new Set<readonly LlmAccounting[]>();
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
  ) {
    for (const call of env.recorded) this.bySeq.set(call.seq, call);
    this.source = source;
  }

  async run<T>(name: string, fn: () => Promise<T> | T): Promise<T> {
    return this.runCall(name, undefined, () => fn());
  }

  /**
   * Takes one position per name now, in order, for calls a fan-out starts later (at most so many at
   * once): their positions do not depend on which call finishes first. Each name is checked as a
   * call's would be (unique in this run, the recorded name at its position). Returns the first position.
   */
  reserve(names: readonly string[]): number {
    const first = this.position;
    for (const name of names) this.claim(name, 'run');
    return first;
  }

  /** The outcome recorded at a position, if any: a fan-out reads it before deciding what to run. */
  recordedAt(seq: number): RecordedCall | undefined {
    return this.bySeq.get(seq);
  }

  /**
   * `run` at a position taken with {@link reserve}, with `fn` given the call's own signal: the step's,
   * also aborted by `own`. A call interrupted by `own` alone (a fan-out's loser or sibling) is
   * dropped: nothing is recorded and the attempt goes on; it rejects with `CALL_NOT_RECORDED`. What
   * its model calls spent (`spent`) still counts in the step's accounting ({@link spent}).
   */
  async runReserved<T>(seq: number, name: string, fn: (signal: AbortSignal) => Promise<T> | T, reserved: Reserved): Promise<T> {
    const { own, spent } = reserved;
    if (spent === undefined) return this.runCall(name, seq, fn, reserved);
    // Counted from the abort on: the step may end before the item notices it.
    const abandon = () => this.abandoned.add(spent);
    own.addEventListener('abort', abandon, { once: true });
    let dropped = false;
    try {
      return await this.runCall(name, seq, fn, reserved);
    } catch (error) {
      dropped = own.aborted && isJournalError(error) && error.code === 'CALL_NOT_RECORDED';
      throw error;
    } finally {
      // Recorded with the item's outcome (or never aborted): counted there, not twice.
      if (!dropped) {
        own.removeEventListener('abort', abandon);
        this.abandoned.delete(spent);
      }
    }
  }

  /**
   * `reserved.spent`: the accounting of model calls `fn` makes without journaling them on their own (a
   * fan-out item's `call.complete`), recorded, totalled, with the call's outcome.
   */
  private async runCall<T>(name: string, seq: number | undefined, fn: (signal: AbortSignal) => Promise<T> | T, reserved?: Reserved): Promise<T> {
    const spent = reserved?.spent ?? [];
    let cause: unknown;
    const withSpent = (outcome: Outcome): Outcome => (spent.length === 0 ? outcome : { ...outcome, llm: totalAccounting(spent) });
    const invoke = async (signal: AbortSignal): Promise<Outcome> => {
      let value: unknown;
      try {
        value = await this.env.retries.execute(() => fn(signal), signal);
      } catch (error) {
        if (interruption(signal, error)) throw error;
        cause = error;
        return withSpent({ error: errorInfo(error) });
      }
      const form = jsonForm(value);
      if (form.ok) return withSpent({ output: form.value, json: form.json });
      return withSpent({
        error: { code: 'INVALID_OUTPUT', message: `Call "${name}" of step "${this.env.step}" returned ${form.what}, which JSON cannot hold`, retryable: false },
      });
    };
    const entry = await (seq === undefined ? this.call(name, 'run', invoke) : this.at(name, 'run', seq, invoke, reserved));
    if (entry.error !== undefined) throw new CallFailedError(entry.error, { step: this.env.step, call: name }, cause);
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
              error: { code: 'INVALID_OUTPUT', message: `Model call "${name}" of step "${env.step}" returned ${form.what} as its output`, retryable: false },
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

  /**
   * A fan-out item's model call (`call.complete`): not journaled on its own — the item's outcome
   * is, with the accounting of its model calls (pushed to `spent`), so a finished item never calls
   * again, and an interrupted one makes all its calls again.
   */
  async completeInItem<T>(item: string, request: StepLlmRequest<T>, signal: AbortSignal, spent: LlmAccounting[]): Promise<LlmResult<T>> {
    const { name: _name, ...llmRequest } = request;
    try {
      const result = await this.callModel(llmRequest, item, signal);
      spent.push(accountingOf(result));
      return result;
    } catch (error) {
      if (isLlmError(error) && error.accounting !== undefined && error.accounting.attempts > 0) spent.push(accountingOf(error.accounting));
      throw error;
    }
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
      },
      signal,
      ...(env.onDelta === undefined ? {} : { onDelta: env.onDelta }),
    });
  }

  /** After the step function returned a value: the rule it broke, if any — recorded calls it never made included. */
  unmet(): JournalError | undefined {
    if (this.violation !== undefined) return this.violation;
    for (const recorded of this.bySeq.values()) {
      if (recorded.seq < this.position) continue;
      const where = { step: this.env.step, call: recorded.call };
      return this.broke(
        new JournalError(
          'NONDETERMINISM',
          `Step "${this.env.step}" (iteration ${this.env.iteration}, attempt ${this.env.attempt}) returned after ${this.position} journaled calls without making call "${recorded.call}" (position ${recorded.seq}), which attempt ${recorded.attempt} recorded: a re-run must make the same calls in the same order`,
          where,
        ),
      );
    }
    return undefined;
  }

  /**
   * The accounting of every model call of the iteration: recorded ones, from earlier attempts
   * included, in call order; then those of this run's fan-out items that their fan-out aborted.
   */
  spent(): LlmAccounting[] {
    const recorded = [...this.bySeq.values()].sort((a, b) => a.seq - b.seq).flatMap((call) => (call.llm === undefined ? [] : [call.llm]));
    return [...recorded, ...[...this.abandoned].flat()];
  }

  /** Whether `error` is the retryable failure of the call a retried attempt runs again ({@link rerunOnRetry}): the step may retry for it. */
  retriesCall(error: unknown): boolean {
    if (!isCallFailed(error) || !error.retryable) return false;
    return rerunOnRetry([...this.bySeq.values()])?.call === error.call;
  }

  /** A rule broken outside a call of this journal (a fan-out item's call used after the item ended): the step fails with it. */
  refuse(message: string, call: string): JournalError {
    return this.broke(new JournalError('INVALID_CALL', message, { step: this.env.step, call }));
  }

  private broke(error: JournalError): JournalError {
    this.violation ??= error;
    return error;
  }

  private async call(name: string, kind: CallKind, invoke: (signal: AbortSignal) => Promise<Outcome>): Promise<RecordedCall> {
    return this.at(name, kind, this.claim(name, kind), invoke);
  }

  /** Checks a call's name, takes its position and checks it against the journal; returns the position. */
  private claim(name: string, kind: CallKind): number {
    const step = this.env.step;
    const where = { step, call: String(name) };
    const inItem = itemInProgress(this);
    if (inItem !== undefined)
      throw this.broke(
        new JournalError(
          'INVALID_CALL',
          `Step "${step}" made call "${String(name)}" inside fan-out item "${inItem}": the step's journaled calls (ctx.run, ctx.complete, ctx.child, ctx.map, ctx.parallel) cannot run inside an item, whose calls finish in any order; use the item's call (call.complete, call.child)`,
          where,
        ),
      );
    if (typeof name !== 'string' || name.length === 0)
      throw this.broke(new JournalError('INVALID_CALL', `Step "${step}" made a call whose name is not a non-empty string`, where));
    if (this.names.has(name)) {
      throw this.broke(
        new JournalError(
          'DUPLICATE_CALL',
          `Step "${step}" made two calls named "${name}" in one run: each journaled call needs its own name, which is how a re-run finds its recorded outcome`,
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
    const step = this.env.step;
    const where = { step, call: name };
    const recorded = this.bySeq.get(seq) ?? this.running.get(seq);
    if (recorded !== undefined) return 'done' in recorded ? recorded.done : recorded;
    // The attempt is over (CANCEL, timeout, shutdown): a step that swallowed the interruption makes no new call.
    if (this.source.signal.aborted) {
      this.lost = true;
      throw new JournalError('CALL_NOT_RECORDED', `Step "${step}" was aborted before call "${name}": the call was not made`, where);
    }
    const done = this.make(name, kind, seq, invoke, reserved);
    this.running.set(seq, { call: name, kind, done });
    try {
      return await done;
    } finally {
      this.running.delete(seq);
    }
  }

  private dropped(name: string): JournalError {
    return new JournalError('CALL_NOT_RECORDED', `Call "${name}" of step "${this.env.step}" was aborted by its fan-out: its outcome is not recorded`, {
      step: this.env.step,
      call: name,
    });
  }

  private divergence(name: string, kind: CallKind, seq: number, expected: string): JournalError {
    const env = this.env;
    return new JournalError(
      'NONDETERMINISM',
      `Step "${env.step}" (iteration ${env.iteration}, attempt ${env.attempt}) made call "${name}" (${kind}) at position ${seq}, where the journal has ${expected}: a re-run must make the same journaled calls in the same order`,
      { step: env.step, call: name },
    );
  }

  private async make(name: string, kind: CallKind, seq: number, invoke: (signal: AbortSignal) => Promise<Outcome>, reserved?: Reserved): Promise<RecordedCall> {
    const { own, fanOut } = reserved ?? {};
    const env = this.env;
    const started = env.now().getTime();
    const stepSignal = this.source.signal;
    let outcome: Outcome;
    try {
      outcome = await invoke(own === undefined ? stepSignal : AbortSignal.any([stepSignal, own]));
    } catch (error) {
      if (own?.aborted === true && !stepSignal.aborted) throw this.dropped(name);
      // Interrupted: nothing is recorded, and nothing the step does with this may be either.
      this.lost = true;
      throw error;
    }
    // A fan-out no longer wants this outcome (another item won, or a sibling failed): it is not recorded.
    if (own?.aborted === true && !stepSignal.aborted) throw this.dropped(name);
    const durationMs = Math.max(0, env.now().getTime() - started);
    const entry: RecordedCall = { call: name, kind, seq, attempt: env.attempt };
    if ('error' in outcome) entry.error = outcome.error;
    else
      entry.output = (
        await spillIfLarge(
          outcome.output,
          outcome.json,
          env.artifacts,
          env.workflowId,
          `calls/${env.step}-${env.iteration}-${seq}.${typeof outcome.output === 'string' ? 'txt' : 'json'}`,
          env.maxInlineOutputBytes,
        )
      ).recorded;
    if (outcome.llm !== undefined) entry.llm = outcome.llm;
    const event: CallCompletedEvent = {
      type: 'CallCompleted',
      data: { v: 1, step: env.step, iteration: env.iteration, ...entry, durationMs, ...(fanOut === undefined ? {} : { fanOut }) },
    };
    const where = { step: env.step, call: name };
    let accepted: boolean;
    try {
      accepted = await env.recorder.recordCall(event, env.startedId);
    } catch (error) {
      this.lost = true;
      throw new JournalError(
        'CALL_NOT_RECORDED',
        `The outcome of call "${name}" of step "${env.step}" could not be recorded: ${(error as Error).message}`,
        where,
        error,
      );
    }
    if (!accepted) {
      this.lost = true;
      throw new JournalError(
        'CALL_NOT_RECORDED',
        `Workflow ${env.workflowId} no longer accepts call "${name}" of step "${env.step}" (cancelled, timed out, or another attempt took over)`,
        where,
      );
    }
    this.bySeq.set(seq, entry);
    return entry;
  }
}

/** Errors the step runner must not retry at the step level: a journaled call's error was retried (or not) where it happened. */
export const isJournaledError = (error: unknown): boolean => isCallFailed(error) || isJournalError(error);
