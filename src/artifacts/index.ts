export type { ArtifactStore, StoredArtifact } from './types.js';
export { DEFAULT_ARTIFACT_ROOT, createLocalArtifactStore, sha256 } from './localArtifactStore.js';
export { createMemoryArtifactStore } from './memoryArtifactStore.js';
