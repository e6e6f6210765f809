import winston from 'winston';
import { createMemoryArtifactStore } from '../../../src/artifacts/index.js';
import { type Engine, type EngineOptions, createEngine } from '../../../src/actors/index.js';
import { type EventStore, createMemoryEventStore, workflowStream } from '../../../src/eventstore/index.js';
import { type LlmProvider, type LlmScript, type LlmRequest, createOfflineProvider, createScriptedProvider } from '../../../src/llm/index.js';
import { type DefinitionRegistry, type WorkflowEvent } from '../../../src/machines/index.js';
import { createSampleRegistry } from '../../support/definitions.js';
import { type ManualClock, createManualClock } from '../../../src/testing/manualClock.js';

export const silentLogger = (): winston.Logger => winston.createLogger({ silent: true, transports: [new winston.transports.Console({ silent: true })] });

export interface SeenCall {
  step: string;
  iteration: number;
  attempt: number;
  signal: AbortSignal | undefined;
  /** The messages' text, joined. */
  prompt: string;
}

/** Wraps a provider and remembers every call it saw, with the call's AbortSignal. */
export function recording(provider: LlmProvider): LlmProvider & { calls: SeenCall[] } {
  const calls: SeenCall[] = [];
  return {
    name: provider.name,
    calls,
    complete<T>(request: LlmRequest<T>) {
      calls.push({
        step: request.context.step,
        iteration: request.context.iteration,
        attempt: request.context.attempt,
        signal: request.signal,
        prompt: request.messages.map((message) => message.content).join('\n'),
      });
      return provider.complete(request);
    },
  };
}

/** A clock that only moves when told to; its timers fire as it passes them. */
export const simulatedClock = (start = '2030-01-01T00:00:00.000Z'): ManualClock => createManualClock(start);

/** Deterministic UUIDs. */
export function sequentialIds(prefix = 0) {
  let counter = 0;
  return () => `00000000-0000-4000-8000-${(prefix * 1_000_000 + ++counter).toString(16).padStart(12, '0')}`;
}

export interface Harness {
  engine: Engine;
  store: EventStore;
  llm: LlmProvider & { calls: SeenCall[] };
  artifacts: ReturnType<typeof createMemoryArtifactStore>;
  definitions: DefinitionRegistry;
  clock: ReturnType<typeof simulatedClock>;
  /** The workflow's stream as machine events. */
  events(workflowId: string): Promise<WorkflowEvent[]>;
  /** The raw stored records, for byte-for-byte comparisons. */
  raw(workflowId: string): Promise<string>;
  /** A second engine on the same store (a restart). */
  restart(overrides?: Partial<EngineOptions>): Engine;
}

export function createHarness(
  options: { script?: LlmScript; llm?: LlmProvider; store?: EventStore; engine?: Partial<EngineOptions>; definitions?: DefinitionRegistry } = {},
): Harness {
  const store = options.store ?? createMemoryEventStore();
  const clock = simulatedClock();
  const base =
    options.llm ??
    (options.script === undefined ? createOfflineProvider({ now: () => 0 }) : createScriptedProvider({ script: options.script, env: {}, now: () => 0 }));
  const llm = recording(base);
  const artifacts = createMemoryArtifactStore();
  const definitions = options.definitions ?? createSampleRegistry();
  const make = (overrides: Partial<EngineOptions> = {}) =>
    createEngine({
      store,
      llm,
      artifacts,
      logger: silentLogger(),
      definitions,
      clock,
      retry: { initialDelayMs: 1, maxDelayMs: 1 },
      ...options.engine,
      ...overrides,
    });
  return {
    engine: make(),
    store,
    llm,
    artifacts,
    definitions,
    clock,
    events: async (workflowId) =>
      (await store.readStream(workflowStream(workflowId))).map((record) => ({ type: record.type, data: record.data }) as WorkflowEvent),
    raw: async (workflowId) =>
      JSON.stringify(await store.readStream(workflowStream(workflowId)), (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value)),
    restart: make,
  };
}

export const briefInput = (extra: Record<string, unknown> = {}) => ({
  instructions: 'Write a one-page brief on the pilot results.',
  documents: [{ name: 'pilot.md', text: 'The pilot ran for six weeks. Adoption reached 72 percent of the team. Support tickets fell by a third.' }],
  ...extra,
});

export const types = (events: readonly WorkflowEvent[]): string[] => events.map((event) => event.type);

/** Lets pending I/O callbacks run until `probe` returns something (no wall-clock sleeping). */
export async function eventually<T>(probe: () => T | undefined, turns = 10_000): Promise<T> {
  for (let turn = 0; turn < turns; turn++) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error('The condition never became true');
}
