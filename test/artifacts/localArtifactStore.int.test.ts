import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { createLocalArtifactStore } from '../../src/artifacts/index.js';

let root: string | undefined;
afterEach(() => {
  if (root !== undefined) rmSync(root, { recursive: true, force: true });
});

it('many writes into one folder at the same moment each land whole, under their own names, and leave no temporary file', async () => {
  root = mkdtempSync(join(tmpdir(), 'ecl-artifacts-'));
  const store = createLocalArtifactStore(root);
  // As a fan-out's items spill their large outputs: one folder, the same millisecond.
  const names = Array.from({ length: 32 }, (_, index) => `calls/process-1-${index}.json`);
  await Promise.all(names.map((name, index) => store.put('w1', name, JSON.stringify({ index, pad: 'x'.repeat(100_000) }))));
  for (const [index, name] of names.entries()) expect(JSON.parse((await store.get('w1', name)) ?? 'null')).toMatchObject({ index });
  expect(readdirSync(join(root, 'w1', 'calls')).sort()).toEqual(names.map((name) => name.slice('calls/'.length)).sort());
});

it('refuses a name that would leave the folder', async () => {
  root = mkdtempSync(join(tmpdir(), 'ecl-artifacts-'));
  const store = createLocalArtifactStore(root);
  await expect(store.put('w1', '../../escape.txt', 'x')).rejects.toThrow('Artifact path escapes the artifact folder');
});
