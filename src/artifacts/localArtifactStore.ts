import { createHash, randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { ArtifactStore, StoredArtifact } from './types.js';

export const DEFAULT_ARTIFACT_ROOT = './.ecl/artifacts';

/**
 * A local folder: `<root>/<workflowId>/<name>` (default root `./.ecl/artifacts`, resolved against
 * the working folder), written atomically (temp file + rename). `put` and `get` throw an `Error`
 * for a name that would escape the folder; file-system errors pass through.
 */
export function createLocalArtifactStore(root = DEFAULT_ARTIFACT_ROOT): ArtifactStore {
  const base = resolve(root);
  const pathOf = (workflowId: string, name: string): string => {
    const path = resolve(base, workflowId, name);
    if (!path.startsWith(base + '/')) throw new Error(`Artifact path escapes the artifact folder: ${workflowId}/${name}`);
    return path;
  };
  return {
    description: `local folder ${base}`,
    async put(workflowId, name, content): Promise<StoredArtifact> {
      const path = pathOf(workflowId, name);
      await mkdir(dirname(path), { recursive: true });
      // Unique per write: fan-out items spill their outputs into one folder at the same moment.
      const temp = join(dirname(path), `.${randomUUID()}.tmp`);
      await writeFile(temp, content);
      await rename(temp, path);
      return { hash: sha256(content), bytes: Buffer.byteLength(content), location: path };
    },
    async get(workflowId, name) {
      try {
        return await readFile(pathOf(workflowId, name), 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw error;
      }
    },
  };
}

export const sha256 = (content: string): string => createHash('sha256').update(content).digest('hex');
