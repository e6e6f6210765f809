import { sha256, type ArtifactStore } from '../artifacts/index.js';
import { LlmError } from './errors.js';

/** Outputs above this many bytes (UTF-8) go to the artifact store; the event keeps hash + preview. */
export const DEFAULT_SPILL_THRESHOLD_BYTES = 64 * 1024;
export const SPILL_PREVIEW_CHARS = 512;

/** Matches the recorded `ArtifactRef` (src/machines/events.ts). */
export interface SpilledArtifact {
  hash: string;
  bytes: number;
  preview: string;
  path?: string;
}

export type SpillResult =
  | { spilled: false; output: unknown }
  /** `output` is the preview; the full value is in the artifact store. `format` says how to read it back. */
  | { spilled: true; output: string; artifact: SpilledArtifact; format: 'text' | 'json' };

/**
 * Keeps a model output inline when small; otherwise writes it to `<workflowId>/<name>` in the artifact
 * store (content-addressed, idempotent) and returns its hash and a preview for the event.
 */
export async function spillLargeOutput(
  output: unknown,
  artifacts: ArtifactStore,
  workflowId: string,
  name: string,
  thresholdBytes: number = DEFAULT_SPILL_THRESHOLD_BYTES,
): Promise<SpillResult> {
  const format = typeof output === 'string' ? 'text' : 'json';
  const content = typeof output === 'string' ? output : JSON.stringify(output);
  const bytes = Buffer.byteLength(content);
  if (bytes <= thresholdBytes) return { spilled: false, output };
  const stored = await artifacts.put(workflowId, name, content);
  const preview = Array.from(content.slice(0, SPILL_PREVIEW_CHARS + 1))
    .slice(0, SPILL_PREVIEW_CHARS)
    .join('');
  return { spilled: true, output: preview, format, artifact: { hash: stored.hash, bytes: stored.bytes, preview, path: stored.location } };
}

/** Reads a spilled output back and checks it against the recorded hash. */
export async function readSpilledOutput(
  artifacts: ArtifactStore,
  workflowId: string,
  name: string,
  artifact: Pick<SpilledArtifact, 'hash'>,
  format: 'text' | 'json',
): Promise<unknown> {
  const content = await artifacts.get(workflowId, name);
  if (content === undefined) throw new LlmError('NOT_FOUND', `The spilled model output ${workflowId}/${name} is missing from the artifact store.`);
  if (sha256(content) !== artifact.hash)
    throw new LlmError('INVALID_OUTPUT', `The spilled model output ${workflowId}/${name} does not match its recorded hash.`);
  return format === 'text' ? content : (JSON.parse(content) as unknown);
}
