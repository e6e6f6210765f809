import { z } from 'zod';

/**
 * Commands a person (or an API client) can send to a running workflow: one zod schema each, in the
 * imperative. Each maps to the recorded event it causes (see commandToEvent).
 */
export const Approve = z.object({ type: z.literal('APPROVE') });
export const Reject = z.object({ type: z.literal('REJECT'), reason: z.string().min(1).optional() });
export const RequestRevision = z.object({ type: z.literal('REQUEST_REVISION'), feedback: z.string().min(1) });
export const Cancel = z.object({ type: z.literal('CANCEL'), reason: z.string().min(1).default('cancelled by request') });

export const WorkflowCommand = z.discriminatedUnion('type', [Approve, Reject, RequestRevision, Cancel]);
export type WorkflowCommand = z.infer<typeof WorkflowCommand>;
/** What a caller may pass: defaults (e.g. CANCEL's reason) filled in on parse. */
export type WorkflowCommandInput = z.input<typeof WorkflowCommand>;
/** A command's name: `APPROVE`, `REJECT`, `REQUEST_REVISION` or `CANCEL`. */
export type CommandType = WorkflowCommand['type'];
export const COMMAND_TYPES = WorkflowCommand.options.map((option) => option.shape.type.value) as readonly CommandType[];
export const isCommandType = (type: unknown): type is CommandType => typeof type === 'string' && (COMMAND_TYPES as readonly string[]).includes(type);

export type CommandRejection = { ok: false; code: 'UNKNOWN_COMMAND' | 'INVALID_COMMAND'; message: string };

/** Validates a command at the edge; errors name the offending field. */
export function parseCommand(raw: unknown): { ok: true; command: WorkflowCommand } | CommandRejection {
  const type = typeof raw === 'object' && raw !== null ? (raw as { type?: unknown }).type : undefined;
  if (!isCommandType(type)) {
    return { ok: false, code: 'UNKNOWN_COMMAND', message: `Unknown command ${JSON.stringify(type ?? null)}. Commands: ${COMMAND_TYPES.join(', ')}` };
  }
  const parsed = WorkflowCommand.safeParse(raw);
  if (parsed.success) return { ok: true, command: parsed.data };
  const problems = parsed.error.issues.map((issue) => `${issue.path.length === 0 ? '(command)' : issue.path.join('.')}: ${issue.message}`).join('; ');
  return { ok: false, code: 'INVALID_COMMAND', message: `Invalid ${type} command: ${problems}` };
}
