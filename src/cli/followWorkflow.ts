import { resumeHint } from './resumeHint.js';
import type { Subscription } from 'rxjs';
import { z } from 'zod';
import { type Engine, type EngineEvent, type WorkflowView, foreignTransition } from '../actors/index.js';
import { type EventStore, workflowStream } from '../eventstore/index.js';
import type { DefinitionRegistry, WorkflowEvent } from '../machines/index.js';
import type { CommandFlags } from './commonOptions.js';
import { formatTransition, stepColumnWidth } from './formatTransition.js';
import { EXIT } from './usageError.js';

export interface TransitionPrinter {
  /** Stops following, then prints from the store what was not shown yet up to `revision` (the settled one). */
  finish(revision: number): Promise<void>;
  /**
   * What was recorded up to `revision` happened before this command (a workflow it resumes or
   * sends to): not printed, so a fan-out of thousands of items is not shown again on resume.
   */
  startAfter(revision: number): void;
  unsubscribe(): void;
}

/** The step column's width for a definition: wide enough for the step names of every registered version of it. */
const stepWidthOf = (definitions: DefinitionRegistry, name: string): number =>
  stepColumnWidth(definitions.versions(name).flatMap((version) => definitions.get(name, version)?.structure.steps.map((step) => step.name) ?? []));

/**
 * Prints each transition of one workflow as it is recorded, once each, in revision order. The
 * feed of a workflow another process drives may skip events (the log follower passes on only what
 * this engine's copy had not read yet) or end before its last ones: gaps are read from the store.
 * The step column fits the step names of the workflow's definition in `definitions`.
 */
export function printTransitions(
  engine: Engine,
  store: EventStore,
  workflowId: string,
  print: (line: string) => void,
  definitions: DefinitionRegistry,
): TransitionPrinter {
  let previous: WorkflowEvent | undefined;
  let printed = -1;
  let stepWidth: number | undefined;
  /** Read once, before the first line: which definition the workflow runs. */
  const lookUpStepWidth = async (): Promise<void> => {
    if (stepWidth !== undefined) return;
    const view = await engine.get(workflowId);
    stepWidth = view === undefined ? stepColumnWidth([]) : stepWidthOf(definitions, view.definition);
  };
  const show = (event: EngineEvent & { kind: 'transition' }): void => {
    if (event.revision <= printed) return;
    printed = event.revision;
    const text = formatTransition(event, previous, stepWidth);
    previous = event.event;
    if (text !== undefined) print(text);
  };
  /** Prints what comes before `revision` from the store, in order (and knows the column width before any line). */
  const fillTo = async (revision: number): Promise<void> => {
    await lookUpStepWidth();
    if (printed >= revision - 1) return;
    const missed = await store.readStream(workflowStream(workflowId), { from: printed + 1, limit: revision - 1 - printed });
    for (const record of missed) if (record.revision > printed) show(foreignTransition(workflowId, record) as EngineEvent & { kind: 'transition' });
  };
  // One at a time, in arrival order: a gap is read before the event after it is printed.
  let printing: Promise<void> = Promise.resolve();
  let failed: { error: unknown } | undefined;
  const subscription = engine.subscribe(workflowId).subscribe((event) => {
    if (event.kind !== 'transition') return;
    printing = printing.then(async () => {
      if (failed !== undefined || event.revision <= printed) return;
      try {
        await fillTo(event.revision);
        show(event);
      } catch (error) {
        // Reported by `finish`: the command's outcome does not wait for its printing to fail.
        failed = { error };
      }
    });
  });
  return {
    unsubscribe: () => subscription.unsubscribe(),
    startAfter(revision) {
      printed = Math.max(printed, revision);
    },
    async finish(revision) {
      subscription.unsubscribe();
      await printing;
      if (failed !== undefined) throw failed.error;
      await fillTo(revision + 1);
    },
  };
}

/**
 * A `--data` example for the signal a workflow waits for: its schema's top-level fields with `…`
 * for values (`'{"amount": …, "currency": …}'`), or `'<json>'` when the data is not an object.
 */
export function signalDataHint(definitions: DefinitionRegistry | undefined, view: WorkflowView): string {
  const step = view.waitingFor?.step;
  const schema = step === undefined ? undefined : definitions?.get(view.definition, view.version)?.signalSchema(step);
  if (schema === undefined) return "'<json>'";
  try {
    const json = objectSchemaOf(z.toJSONSchema(schema, { unrepresentable: 'any', io: 'input' }) as JsonObjectSchema);
    const fields = Object.keys(json?.properties ?? {});
    if (fields.length === 0) return "'<json>'";
    return `'{${fields.map((field) => `${JSON.stringify(field)}: …`).join(', ')}}'`;
  } catch {
    return "'<json>'";
  }
}

type JsonObjectSchema = { type?: unknown; properties?: Record<string, unknown>; anyOf?: JsonObjectSchema[]; oneOf?: JsonObjectSchema[] };

/** The object a JSON Schema describes, also when it may be null (`.nullable()`: an `anyOf` of the object and null). */
const objectSchemaOf = (json: JsonObjectSchema): JsonObjectSchema | undefined =>
  json.type === 'object' ? json : (json.anyOf ?? json.oneOf ?? []).find((member) => member.type === 'object');

/** Without --follow: one line when the workflow starts to sleep, since the command waits through the sleep. */
export function announceSleeps(engine: Engine, workflowId: string, print: (line: string) => void): Subscription {
  return engine.subscribe(workflowId).subscribe((event) => {
    if (event.kind === 'transition' && event.event.type === 'SleepStarted')
      print(
        `Sleeping at ${event.event.data.step} until ${event.event.data.until} (Ctrl-C stops; it wakes then in whichever engine runs it: ${resumeHint(workflowId)})`,
      );
  });
}

/** What a waiting workflow waits for, and the command that moves it on. */
function waitingLines(view: WorkflowView, followHint: string, dataHint: string, flags: string): string[] {
  const waiting = view.waitingFor;
  if (waiting?.kind === 'signal' && waiting.signal !== undefined) {
    const until = waiting.timeoutAt === undefined ? '' : ` until ${waiting.timeoutAt}`;
    return [
      `Waiting for signal ${waiting.signal} at ${view.state}${until}: ${view.accepts.join(', ')}`,
      `  e.g. ${followHint} ${view.workflowId} ${waiting.signal} --data ${dataHint}${flags}`,
    ];
  }
  return [
    `Waiting for a person at ${view.state} (${waiting?.kind ?? 'input'}): ${view.accepts.join(', ')}`,
    `  e.g. ${followHint} ${view.workflowId} APPROVE${flags}`,
  ];
}

/** The flags a command was given that the next command needs too (`--workflows`, `--store`, `--llm`, `--artifacts`), for its hint. */
export function repeatedFlags(options: CommandFlags): string {
  const quoted = (value: string): string => (/^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replaceAll("'", "'\\''")}'`);
  const single = (flag: string, value: string | undefined): string[] => (value === undefined ? [] : [` --${flag} ${quoted(value)}`]);
  return [
    ...(options.workflows ?? []).map((module) => ` --workflows ${quoted(module)}`),
    ...single('store', options.store),
    ...single('llm', options.llm),
    ...single('artifacts', options.artifacts),
  ].join('');
}

/**
 * The closing lines for a settled workflow, and the exit code it means. `definitions` (optional)
 * lets the hint for a signal name the fields of its data; `flags` end the hint (see `repeatedFlags`).
 */
export function summarize(view: WorkflowView, followHint: string, definitions?: DefinitionRegistry, flags = ''): { lines: string[]; exitCode: number } {
  const usage = view.usage;
  const spent = `${(usage.inputTokens + usage.outputTokens).toLocaleString('en-US')} tokens, $${usage.costUsd.toFixed(4)}`;
  const artifact = view.status === 'completed' ? (view.output as { path?: unknown } | null)?.path : undefined;
  switch (view.status) {
    case 'completed':
      return { lines: [`Completed ${view.workflowId} (${spent})`, ...(typeof artifact === 'string' ? [`Artifact: ${artifact}`] : [])], exitCode: EXIT.ok };
    case 'waiting':
      return { lines: waitingLines(view, followHint, signalDataHint(definitions, view), flags), exitCode: EXIT.notCompleted };
    case 'failed':
      return { lines: [`Failed ${view.workflowId}: ${view.reason ?? 'unknown reason'}`], exitCode: EXIT.notCompleted };
    case 'cancelled':
      return { lines: [`Cancelled ${view.workflowId}: ${view.reason ?? ''}`.trimEnd()], exitCode: EXIT.notCompleted };
    default:
      return { lines: [`Stopped ${view.workflowId} at ${view.state}; run it again with --id ${view.workflowId} to resume`], exitCode: EXIT.notCompleted };
  }
}
