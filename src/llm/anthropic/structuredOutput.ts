import type { MessageParam } from '@anthropic-ai/sdk/resources/messages/messages';
import { LlmError } from '../errors.js';
import type { LlmTool } from '../types.js';
import type { ModelTurn } from './modelTurn.js';

/** A tool answer that failed validation; the repair policy retries it with `feedback` appended to the conversation. */
export class InvalidToolInputError extends LlmError {
  readonly feedback: MessageParam[];
  constructor(problem: string, feedback: MessageParam[]) {
    super('INVALID_OUTPUT', problem);
    this.feedback = feedback;
  }
}

export const isInvalidToolInput = (error: unknown): error is InvalidToolInputError => error instanceof InvalidToolInputError;

/**
 * The validated tool input, or an InvalidToolInputError carrying the two messages that feed the
 * problem back to the model: its own (invalid) tool call, then an `is_error` tool result.
 */
export function validateToolTurn<T>(tool: LlmTool<T>, turn: ModelTurn): T {
  const toolUse = turn.toolUse;
  if (toolUse === undefined || toolUse.name !== tool.name) {
    const problem = `The model did not call the tool "${tool.name}".`;
    throw new InvalidToolInputError(problem, [
      { role: 'assistant', content: turn.text.trim() === '' ? '(no tool call)' : turn.text },
      { role: 'user', content: `${problem} Call "${tool.name}" now, with input that satisfies its schema.` },
    ]);
  }
  let problem: string;
  if (toolUse.parseError !== undefined) {
    problem = `The tool input was not valid JSON (${toolUse.parseError}).`;
  } else {
    const parsed = tool.schema.safeParse(toolUse.input);
    if (parsed.success) return parsed.data;
    problem = `The tool input does not match the schema: ${parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ')}.`;
  }
  const input = toolUse.parseError === undefined && typeof toolUse.input === 'object' && toolUse.input !== null ? toolUse.input : {};
  throw new InvalidToolInputError(problem, [
    { role: 'assistant', content: [{ type: 'tool_use', id: toolUse.id, name: toolUse.name, input }] },
    {
      role: 'user',
      content: [
        { type: 'tool_result', tool_use_id: toolUse.id, is_error: true, content: problem },
        { type: 'text', text: `Call "${tool.name}" again with input that satisfies its schema.` },
      ],
    },
  ]);
}
