import { createMemoryArtifactStore } from '../../src/artifacts/index.js';
import { createEngine, type Engine } from '../../src/actors/index.js';
import { createClusterNode, type ClusterNode } from '../../src/cluster/index.js';
import type { EventStore } from '../../src/eventstore/index.js';
import type { LlmProvider } from '../../src/llm/index.js';
import type { DefinitionRegistry } from '../../src/machines/index.js';
import { createSampleRegistry } from '../support/definitions.js';
import { silentLogger } from '../actors/support/harness.js';

export interface Member {
  engine: Engine;
  node: ClusterNode;
  close(): Promise<void>;
}

/** An engine and its cluster node on a shared store, as `ecl serve` wires them. */
export async function joinMember(
  store: EventStore,
  llm: LlmProvider,
  options: { id: string; ttlMs?: number; role?: 'worker' | 'client'; definitions?: DefinitionRegistry },
): Promise<Member> {
  const node = await createClusterNode({
    store,
    leases: store.leases!,
    logger: silentLogger(),
    id: options.id,
    ttlMs: options.ttlMs ?? 400,
    ...(options.role === undefined ? {} : { role: options.role }),
  });
  const engine = createEngine({
    store,
    llm,
    artifacts: createMemoryArtifactStore(),
    logger: silentLogger(),
    definitions: options.definitions ?? createSampleRegistry(),
    ownership: node.ownership,
  });
  await node.start(engine);
  return {
    engine,
    node,
    async close() {
      await engine.close();
      await node.close();
    },
  };
}

/** Resolves once `probe` holds, looking every 10 ms, or rejects after `limitMs`. */
export async function until(probe: () => boolean | Promise<boolean>, what: string, limitMs = 10_000): Promise<void> {
  const started = Date.now();
  while (!(await probe())) {
    if (Date.now() - started > limitMs) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
