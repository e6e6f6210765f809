import winston from 'winston';
import { type AnyWorkflowDefinition, type Engine, type EngineOptions, createEngine, createRegistry } from 'ecl-workflows';
import { type ManualClock, createManualClock, createMemoryArtifactStore, createMemoryEventStore, createOfflineProvider } from 'ecl-workflows/testing';

/** One memory store and one simulated clock; `make()` is an engine on them, and a second `make()` is a restart. */
export function restartableEngine(definitions: readonly AnyWorkflowDefinition[], options: Partial<EngineOptions> = {}) {
  const store = createMemoryEventStore();
  const clock: ManualClock = createManualClock();
  const make = (): Engine =>
    createEngine({
      store,
      clock,
      llm: createOfflineProvider(),
      artifacts: createMemoryArtifactStore(),
      logger: winston.createLogger({ silent: true }),
      definitions: createRegistry([...definitions]),
      ...options,
    });
  return { store, clock, make };
}
