/**
 * Where steps' artifacts (`ctx.putArtifact`) and oversized outputs are written: text files by
 * workflow and name. Each write returns the content's sha256, which the recorded event keeps, so
 * a reader can check that what it reads back is what was recorded.
 */
export interface ArtifactStore {
  /** Human-readable name and place, for banners and logs. */
  readonly description: string;
  /**
   * Writes `content` as `<workflowId>/<name>` (`name` may hold `/`; it must stay inside the
   * workflow's folder), replacing what was there, and returns its hash and where it lives. Writing
   * the same content again gives the same result.
   */
  put(workflowId: string, name: string, content: string): Promise<StoredArtifact>;
  /** The content of `<workflowId>/<name>`, or undefined when there is none. */
  get(workflowId: string, name: string): Promise<string | undefined>;
}

/** Where an artifact was written and what it holds. */
export interface StoredArtifact {
  /** sha256 of the content, hex. */
  hash: string;
  /** Size in UTF-8 bytes. */
  bytes: number;
  /** A path (local folder) or URI a person can open. */
  location: string;
}
