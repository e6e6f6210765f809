import { LlmError } from './errors.js';

export const cancelledError = (cause?: unknown): LlmError =>
  new LlmError('CANCELLED', 'The model call was cancelled.', cause === undefined ? undefined : { cause });

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted === true) throw cancelledError(signal.reason);
}

/** Deltas are for live followers only: a failing subscriber must not fail the model call. */
export function safeDelta(onDelta: ((text: string) => void) | undefined, text: string): void {
  if (onDelta === undefined || text.length === 0) return;
  try {
    onDelta(text);
  } catch {
    // A follower's bug is not the workflow's failure; the final output is what gets recorded.
  }
}

/** Splits `text` into `chunks` deterministic pieces (on whitespace when possible). */
export function splitIntoChunks(text: string, chunks = 4): string[] {
  if (text.length === 0) return [];
  const size = Math.ceil(text.length / chunks);
  const pieces: string[] = [];
  let start = 0;
  while (start < text.length) {
    let end = Math.min(text.length, start + size);
    const space = text.indexOf(' ', end);
    if (end < text.length && space !== -1 && space - end < 16) end = space + 1;
    pieces.push(text.slice(start, end));
    start = end;
  }
  return pieces;
}

/** Streams `text` to `onDelta` in a few chunks, yielding to the event loop between them so an abort can land. */
export async function emitDeltas(text: string, onDelta: ((text: string) => void) | undefined, signal: AbortSignal | undefined): Promise<void> {
  for (const piece of splitIntoChunks(text)) {
    throwIfAborted(signal);
    safeDelta(onDelta, piece);
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  throwIfAborted(signal);
}
