/** Where `load` steps and oversized model outputs are written. Content-addressed by sha256. */
export interface ArtifactStore {
  readonly description: string;
  /** Writes `content` under `<workflowId>/<name>`; returns its hash and where it lives. Writing the same content again is a no-op. */
  put(workflowId: string, name: string, content: string): Promise<StoredArtifact>;
  get(workflowId: string, name: string): Promise<string | undefined>;
}

export interface StoredArtifact {
  hash: string;
  bytes: number;
  /** A path (local folder) or URI a person can open. */
  location: string;
}
