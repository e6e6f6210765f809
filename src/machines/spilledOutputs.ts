import type { JsonValue } from './context.js';

/**
 * An output too large for an event (a step's, or a journaled call's) is written to the artifact
 * store, and the event records `{ $artifact: { name, hash, format } }` in its place.
 */
export const SPILLED = '$artifact';

export type SpilledRef = { name?: string; hash?: string; format?: 'text' | 'json' };

/** The artifact reference a recorded output stands for, when it was spilled. */
export const spilledRef = (output: JsonValue | undefined): SpilledRef | undefined =>
  typeof output === 'object' && output !== null && !Array.isArray(output) ? (output[SPILLED] as SpilledRef | undefined) : undefined;

/**
 * The outputs a decision (a route's `choose`, a sleep's `for`/`until`, a signal's `timeoutMs`)
 * reads: as recorded, but a spilled one cannot be read there (a decision is synchronous and pure,
 * and its reference is not the value the output's type promises), so reading it throws, and the
 * decision fails naming it. The same record fails the same way on replay.
 */
export function decisionOutputs(outputs: Readonly<Record<string, JsonValue>>): Readonly<Record<string, JsonValue>> {
  let readable: Record<string, JsonValue> | undefined;
  for (const step in outputs) {
    if (spilledRef(outputs[step]) === undefined) continue;
    readable ??= { ...outputs };
    Object.defineProperty(readable, step, {
      enumerable: true,
      get() {
        throw new Error(
          `outputs.${step} is in the artifact store (it was over maxInlineOutputBytes when recorded), and a decision reads only outputs kept in the event log: decide on a smaller output, or raise maxInlineOutputBytes`,
        );
      },
    });
  }
  return readable === undefined ? outputs : Object.freeze(readable);
}
