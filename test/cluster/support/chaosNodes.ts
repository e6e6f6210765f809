import { join } from 'node:path';
import { randomNodeRequester, serveOnStore, sleep, type ChaosNode, type NodeRequester } from './chaosCampaign.js';

// The nodes of a chaos campaign on a shared store (PostgreSQL, KurrentDB): three `ecl serve`
// started, one SIGKILLed and restarted at random moments, all stopped at the end.

export interface ChaosNodes {
  /** The nodes by slot; a restarted node takes its slot's place. */
  nodes: ChaosNode[];
  /** (Re)starts the node of a slot. */
  serve: (slot: number) => Promise<ChaosNode>;
  /** A request to a random node, tried on another (up to 300 tries) while nodes die or answer 5xx. */
  request: NodeRequester;
  /** Why tries failed and went to another node: a dead node refuses; anything else is worth seeing. */
  failedTries: Record<string, number>;
}

/** Three `ecl serve` on `store`, each with its own projections file, with `leaseTtlMs` as their lease TTL. */
export async function startChaosNodes(options: {
  dir: string;
  store: string;
  script: string;
  calls: string;
  leaseTtlMs: number;
  next: () => number;
}): Promise<ChaosNodes> {
  const { dir, store, script, calls } = options;
  const serve = (slot: number) =>
    serveOnStore({ dir, store, script, calls, projections: join(dir, `node-${slot}.projections.db`), env: { ECL_LEASE_TTL_MS: String(options.leaseTtlMs) } });
  const nodes: ChaosNode[] = await Promise.all([0, 1, 2].map(serve));
  const failedTries: Record<string, number> = {};
  const request = randomNodeRequester(nodes, options.next, 300, (why) => (failedTries[why] = (failedTries[why] ?? 0) + 1));
  return { nodes, serve, request, failedTries };
}

export interface NodeKills {
  /** Resolves once the kills are over and every killed node is back (or its restart failed). */
  done: Promise<void>;
  /** Nodes SIGKILLed so far. */
  count(): number;
  /** What stopped the kills early (a restart failed), if anything. */
  error(): unknown;
}

/**
 * SIGKILLs a random serving node `kills` times, a random pause within `everyMs` apart, and restarts
 * each in its slot; a node is killed only while two serve, so one at least keeps serving.
 */
export function killNodesAtRandom(cluster: ChaosNodes, options: { kills: number; everyMs: [number, number]; next: () => number }): NodeKills {
  const { nodes, serve } = cluster;
  const { next } = options;
  const up = nodes.map(() => true);
  const serving = () => up.flatMap((isUp, slot) => (isUp ? [slot] : []));
  let kills = 0;
  let failure: unknown;
  const restarts: Promise<void>[] = [];
  const done = (async () => {
    while (kills < options.kills) {
      await sleep(options.everyMs[0] + next() * (options.everyMs[1] - options.everyMs[0]));
      // With two down (restarts are slow on a loaded machine), wait for one to be back.
      while (serving().length < 2 && failure === undefined) await sleep(50);
      const live = serving();
      if (failure !== undefined || live.length === 0) break;
      const slot = live[Math.floor(next() * live.length)]!;
      up[slot] = false;
      process.kill(nodes[slot]!.child.pid as number, 'SIGKILL');
      kills++;
      restarts.push(
        (async () => {
          await nodes[slot]!.done;
          nodes[slot] = await serve(slot);
          up[slot] = true;
        })().catch((error: unknown) => void (failure ??= error)),
      );
    }
    await Promise.all(restarts);
  })().catch((error: unknown) => void (failure ??= error));
  return { done, count: () => kills, error: () => failure };
}

/** SIGTERMs every node (one already ended is left be) and waits for all to end. */
export async function stopNodes(nodes: readonly ChaosNode[]): Promise<void> {
  for (const node of nodes) {
    try {
      process.kill(node.child.pid as number, 'SIGTERM');
    } catch {
      /* already ended (killed, its restart failed) */
    }
  }
  await Promise.all(nodes.map((node) => node.done));
}
