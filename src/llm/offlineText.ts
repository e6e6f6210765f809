import type { LlmRequest } from './types.js';

const MAX_POINTS = 8;

/** Sentences and list items of the last user message, trimmed, in order, without duplicates. */
function candidateLines(text: string): string[] {
  const seen = new Set<string>();
  const lines: string[] = [];
  for (const raw of text.split(/\r?\n|(?<=[.!?])\s+(?=[A-Z0-9])/)) {
    const line = raw.replace(/^\s*(?:[-*•]|\d+[.)])\s*/, '').trim();
    if (line.length < 12 || line.endsWith(':') || seen.has(line.toLowerCase())) continue;
    seen.add(line.toLowerCase());
    lines.push(line);
  }
  return lines;
}

const lastUserMessage = (request: LlmRequest<unknown>): string => [...request.messages].reverse().find((message) => message.role === 'user')?.content ?? '';

const isExtract = (request: LlmRequest<unknown>): boolean => /\bextract/i.test(request.context.step) || /\bextract/i.test(request.system ?? '');

/**
 * The offline model's plain-text answer, a pure function of the request:
 * an extract-like prompt gets bullet points picked from its input, anything else a short document
 * built from the points in the prompt, which says plainly that it is offline output.
 */
export function offlineText(request: LlmRequest<unknown>): string {
  const input = lastUserMessage(request);
  const lines = candidateLines(input);
  if (isExtract(request)) {
    const points = lines.slice(0, MAX_POINTS);
    return points.length === 0 ? '- (the input holds no statement to extract)' : points.map((point) => `- ${point}`).join('\n');
  }
  const instruction = (request.system ?? lines[0] ?? 'Write a short document.').split('\n')[0]!.trim();
  const points = lines.filter((line) => line !== instruction).slice(0, MAX_POINTS);
  const feedback = lines.find((line) => /feedback|revis/i.test(line));
  const sections = [
    `# ${request.context.step} (iteration ${request.context.iteration})`,
    `_Written by the offline deterministic model: no LLM was called._`,
    `Task: ${instruction}`,
    points.length > 0 ? points.map((point) => `- ${point}`).join('\n') : '- (no points were given)',
  ];
  if (request.context.iteration > 1 && feedback !== undefined) sections.push(`Revision: addressed "${feedback}".`);
  return sections.join('\n\n');
}
