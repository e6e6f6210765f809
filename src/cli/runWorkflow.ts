import { randomUUID } from 'node:crypto';
import { isEngineError } from '../actors/index.js';
import { isFinishedStatus } from '../machines/index.js';
import type { CommandFlags } from './commonOptions.js';
import type { EngineHost } from './openEngineHost.js';
import { assertSameDefinition, resumingLine } from './resuming.js';
import { holdLines } from './holdLines.js';
import { settleAndReport, watchRun } from './settleAndReport.js';
import { UsageError } from './usageError.js';

/** Engine errors that mean the caller asked for something wrong (or of a workflow this command cannot run): exit 2. */
const USAGE_CODES: ReadonlySet<string> = new Set([
  'UNKNOWN_DEFINITION',
  'INVALID_INPUT',
  'INPUT_TOO_LARGE',
  'INVALID_WORKFLOW_ID',
  'WORKFLOW_CONFLICT',
  'UNKNOWN_DEFINITION_VERSION',
]);

/**
 * An engine error that means the caller asked for something wrong, as the usage error (exit 2) that
 * shows it; any other error as it is. `definition`: the definition and version the input was for (`greeting v2`).
 */
export function usageErrorOf(error: unknown, definition?: string): unknown {
  if (!isEngineError(error) || !USAGE_CODES.has(error.code)) return error;
  if (error.code === 'UNKNOWN_DEFINITION_VERSION')
    return new UsageError(
      `${error.message}: it is blocked until a command loads the module that exports that version (--workflows <module>, "workflows" in ecl.config.json or ECL_WORKFLOWS)`,
    );
  return new UsageError(
    error.issues.length > 0 ? [`Invalid input for ${definition ?? 'the workflow'}:`, ...error.issues.map((issue) => `  ${issue}`)].join('\n') : error.message,
  );
}

export interface RunRequest {
  definition: string;
  /** The registered version to start; default the newest. */
  version?: number;
  /** Undefined when none was given: the workflow under `id` resumes with its recorded input, or one starts with `{}`. */
  input: unknown;
  id?: string;
  follow: boolean;
  print: (line: string) => void;
  /** The flags it was given: where the read models are (the children's usage), and what its hints repeat. */
  flags: CommandFlags;
}

/**
 * Starts (or resumes, with the same id and input) a workflow in this process and drives it until
 * it finishes or waits for a person. Returns the exit code.
 */
export async function runWorkflow(host: EngineHost, request: RunRequest): Promise<number> {
  const { engine } = host;
  const workflowId = request.id ?? randomUUID();
  for (const line of host.banner) request.print(line);
  request.print(`Workflow ${workflowId}`);
  // What recovery does at claim is printed after the line saying where the workflow was found.
  const held = holdLines(request.print);
  const watch = watchRun(host, workflowId, { follow: request.follow, print: held.print });
  try {
    const found =
      request.id !== undefined
        ? await engine.get(workflowId).catch((error: unknown) => {
            throw usageErrorOf(error);
          })
        : undefined;
    // What it recorded before this command is not printed again, with or without --input.
    if (found !== undefined) watch.printer?.startAfter(found.revision);
    // Without an input, an existing workflow resumes with the input it recorded.
    const existing = request.input === undefined ? found : undefined;
    if (existing !== undefined) assertSameDefinition(existing, request.definition);
    // Another process may drive it (a worker, or another `ecl run` of the same id): then this one records the start and follows the log.
    const registered = host.definitions.get(request.definition, request.version);
    const definition =
      existing !== undefined
        ? { name: existing.definition, version: existing.version }
        : registered === undefined
          ? undefined
          : { name: registered.name, version: registered.version };
    await host.claim(workflowId, definition);
    // A finished workflow is driven by nobody: nothing to say about who drives it.
    const elsewhere = existing !== undefined && isFinishedStatus(existing.status) ? undefined : host.drivenElsewhere(workflowId);
    if (elsewhere !== undefined) request.print(elsewhere);
    const { view, created } = existing === undefined ? await start(host, request, workflowId) : { view: existing, created: false };
    if (!created) request.print(resumingLine(view, view.state, request.version));
    held.release();
    return await settleAndReport(host, { workflowId, watch, familyFromBefore: !created, flags: request.flags, print: request.print });
  } finally {
    held.release();
    watch.unsubscribe();
  }
}

async function start(host: EngineHost, request: RunRequest, workflowId: string) {
  try {
    return await host.engine.start(request.definition, request.input ?? {}, {
      id: workflowId,
      sender: 'cli',
      ...(request.version === undefined ? {} : { version: request.version }),
    });
  } catch (error) {
    const definition = host.definitions.get(request.definition, request.version);
    const refused = usageErrorOf(error, definition === undefined ? request.definition : `${definition.name} v${definition.version}`);
    // `--id` without `--input` resumes a recorded workflow; there was none, so `{}` was the input.
    if (refused instanceof UsageError && request.input === undefined && request.id !== undefined && isEngineError(error) && error.code === 'INVALID_INPUT')
      throw new UsageError(
        `No workflow ${workflowId} is recorded to resume, so it was started with the input {}, which is refused:\n${refused.message}\nPass --input to start it.`,
      );
    throw refused;
  }
}
