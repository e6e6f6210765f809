import { sha256 } from './localArtifactStore.js';
import type { ArtifactStore } from './types.js';

/**
 * An artifact store in memory, for tests: `files` maps `<workflowId>/<name>` to the content;
 * locations read `memory:<workflowId>/<name>`.
 */
export function createMemoryArtifactStore(): ArtifactStore & { readonly files: ReadonlyMap<string, string> } {
  const files = new Map<string, string>();
  return {
    description: 'memory',
    files,
    async put(workflowId, name, content) {
      const location = `memory:${workflowId}/${name}`;
      files.set(`${workflowId}/${name}`, content);
      return { hash: sha256(content), bytes: Buffer.byteLength(content), location };
    },
    async get(workflowId, name) {
      return files.get(`${workflowId}/${name}`);
    },
  };
}
