import type { ArtifactStore } from '../artifacts/index.js';
import { readSpilledOutput, spillLargeOutput, type SpilledArtifact } from '../llm/index.js';
import { type JsonValue, SPILLED, spilledRef } from '../machines/index.js';

export { spilledRef } from '../machines/index.js';

/** Moves `output` to `<workflowId>/<name>` when its JSON text (`json`) is over `maxInline` bytes; else returns it as is. */
export async function spillIfLarge(
  output: JsonValue,
  json: string,
  artifacts: ArtifactStore,
  workflowId: string,
  name: string,
  maxInline: number,
): Promise<{ recorded: JsonValue; artifact?: SpilledArtifact }> {
  if (!overLimit(json, maxInline)) return { recorded: output };
  const spill = await spillLargeOutput(output, artifacts, workflowId, name, maxInline);
  if (!spill.spilled) return { recorded: output };
  return { recorded: { [SPILLED]: { name, hash: spill.artifact.hash, format: spill.format } }, artifact: spill.artifact };
}

/** A recorded output, read back from the artifact store (hash-checked) when it was spilled. */
export async function readRecordedOutput(artifacts: ArtifactStore, workflowId: string, output: JsonValue): Promise<JsonValue> {
  const ref = spilledRef(output);
  if (ref?.name === undefined || ref.hash === undefined) return output;
  return (await readSpilledOutput(artifacts, workflowId, ref.name, { hash: ref.hash }, ref.format ?? 'json')) as JsonValue;
}

/** Whether JSON text is over `max` UTF-8 bytes; a text that cannot be (3 bytes per UTF-16 unit at most) is not measured. */
export const overLimit = (json: string, max: number): boolean => json.length * 3 > max && Buffer.byteLength(json) > max;
