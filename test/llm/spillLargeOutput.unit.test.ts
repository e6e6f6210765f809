import { describe, expect, it } from 'vitest';
import { createMemoryArtifactStore, sha256 } from '../../src/artifacts/index.js';
import { DEFAULT_SPILL_THRESHOLD_BYTES, readSpilledOutput, spillLargeOutput, SPILL_PREVIEW_CHARS } from '../../src/llm/index.js';

describe('spillLargeOutput', () => {
  it('keeps outputs up to the threshold inline', async () => {
    const artifacts = createMemoryArtifactStore();
    const small = 'x'.repeat(DEFAULT_SPILL_THRESHOLD_BYTES);
    expect(await spillLargeOutput(small, artifacts, 'wf-1', 'draft-1.txt')).toEqual({ spilled: false, output: small });
    expect(artifacts.files.size).toBe(0);
  });

  it('stores a larger text by content hash, with a preview, and reads it back verified', async () => {
    const artifacts = createMemoryArtifactStore();
    const big = 'é'.repeat(40 * 1024); // 80 KiB in UTF-8: bytes, not characters, count
    const result = await spillLargeOutput(big, artifacts, 'wf-1', 'draft-1.txt');
    expect(result.spilled).toBe(true);
    if (!result.spilled) return;
    expect(result.artifact).toMatchObject({ hash: sha256(big), bytes: Buffer.byteLength(big), path: 'memory:wf-1/draft-1.txt' });
    expect(result.output).toBe(big.slice(0, SPILL_PREVIEW_CHARS));
    expect(result.artifact.preview).toBe(result.output);
    expect(await readSpilledOutput(artifacts, 'wf-1', 'draft-1.txt', result.artifact, result.format)).toBe(big);
  });

  it('spills structured outputs as JSON under a custom threshold and restores them', async () => {
    const artifacts = createMemoryArtifactStore();
    const output = { facts: Array.from({ length: 50 }, (_, i) => `fact ${i}`) };
    const result = await spillLargeOutput(output, artifacts, 'wf-1', 'extract-1.json', 100);
    expect(result).toMatchObject({ spilled: true, format: 'json' });
    if (!result.spilled) return;
    expect(await readSpilledOutput(artifacts, 'wf-1', 'extract-1.json', result.artifact, 'json')).toEqual(output);
  });

  it('refuses content that does not match the recorded hash', async () => {
    const artifacts = createMemoryArtifactStore();
    const result = await spillLargeOutput('y'.repeat(200), artifacts, 'wf-1', 'a.txt', 100);
    if (!result.spilled) return expect.fail('expected a spill');
    await artifacts.put('wf-1', 'a.txt', 'tampered');
    await expect(readSpilledOutput(artifacts, 'wf-1', 'a.txt', result.artifact, 'text')).rejects.toThrow('does not match its recorded hash');
  });
});
