import { z } from 'zod';
import { READABLE_ISSUES } from './readableIssues.js';
import { SIGNAL_NAME } from './structure.js';

/**
 * Commands a person (or an API client) can send to a running workflow: one zod schema each, in the
 * imperative. Each maps to the recorded event it causes (see commandToEvent).
 */
// Strict: a misspelled field (`notes`) is refused, never dropped with what the person meant to record.
export const Approve = z.strictObject({ type: z.literal('APPROVE'), note: z.string().min(1).optional() });
export const Reject = z.strictObject({ type: z.literal('REJECT'), reason: z.string().min(1).optional() });
export const RequestRevision = z.strictObject({ type: z.literal('REQUEST_REVISION'), feedback: z.string().min(1) });
export const Cancel = z.strictObject({ type: z.literal('CANCEL'), reason: z.string().min(1).default('cancelled by request') });

export const WorkflowCommand = z.discriminatedUnion('type', [Approve, Reject, RequestRevision, Cancel]);
export type WorkflowCommand = z.infer<typeof WorkflowCommand>;
/** What a caller may pass: defaults (e.g. CANCEL's reason) filled in on parse. */
export type WorkflowCommandInput = z.input<typeof WorkflowCommand>;
/** A command's name: `APPROVE`, `REJECT`, `REQUEST_REVISION` or `CANCEL`. */
export type CommandType = WorkflowCommand['type'];
export const COMMAND_TYPES = WorkflowCommand.options.map((option) => option.shape.type.value) as readonly CommandType[];
export const isCommandType = (type: unknown): type is CommandType => typeof type === 'string' && (COMMAND_TYPES as readonly string[]).includes(type);

/**
 * A signal for a workflow's `signal` step: sent as `{ type: <signal name>, data }` (signal names
 * start lowercase; commands are upper case). Its data is checked against the step's schema when
 * the workflow decides on it.
 */
export const SendSignal = z.strictObject({ type: z.literal('SIGNAL'), signal: z.string().regex(SIGNAL_NAME), data: z.json().optional() });
export type SendSignal = z.infer<typeof SendSignal>;

/** How a refusal names a command: its type, or `signal <name>` for a signal. */
export const commandLabel = (command: WorkflowCommand | SendSignal): string => (command.type === 'SIGNAL' ? `signal ${command.signal}` : command.type);

export type CommandRejection = { ok: false; code: 'UNKNOWN_COMMAND' | 'INVALID_COMMAND'; message: string };

/** Validates a command (or a signal) at the edge; errors name the offending field. */
export function parseCommand(raw: unknown): { ok: true; command: WorkflowCommand | SendSignal } | CommandRejection {
  const type = typeof raw === 'object' && raw !== null ? (raw as { type?: unknown }).type : undefined;
  if (typeof type === 'string' && SIGNAL_NAME.test(type)) {
    const { type: signal, ...rest } = raw as Record<string, unknown>;
    const parsed = SendSignal.safeParse({ ...rest, type: 'SIGNAL', signal }, READABLE_ISSUES);
    if (parsed.success) return { ok: true, command: parsed.data };
    return { ok: false, code: 'INVALID_COMMAND', message: `Invalid signal ${type}: ${problemsOf(parsed.error.issues)}` };
  }
  if (!isCommandType(type)) {
    return {
      ok: false,
      code: 'UNKNOWN_COMMAND',
      message: `Unknown command ${JSON.stringify(type ?? null)}. Commands: ${COMMAND_TYPES.join(', ')}, or the name of a signal the workflow waits for`,
    };
  }
  const parsed = WorkflowCommand.safeParse(raw, READABLE_ISSUES);
  if (parsed.success) return { ok: true, command: parsed.data };
  // Over HTTP a command's fields travel in `data`; on the engine they are the command's own.
  const hint = Object.hasOwn(raw as object, 'data')
    ? ` (a command's fields go on the command itself, e.g. { type: 'APPROVE', note: '…' }; only signals carry data)`
    : '';
  return { ok: false, code: 'INVALID_COMMAND', message: `Invalid ${type} command: ${problemsOf(parsed.error.issues)}${hint}` };
}

/** Zod issues as `path: message; ...`, naming each offending field. */
export const problemsOf = (issues: readonly z.core.$ZodIssue[]): string =>
  issues.map((issue) => `${issue.path.length === 0 ? '(command)' : issue.path.join('.')}: ${issue.message}`).join('; ');
