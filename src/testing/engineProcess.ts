import { type Engine, type EngineOptions, createEngine } from '../actors/index.js';
import type { EventStore } from '../eventstore/index.js';

/** An engine as one simulated process on a shared store and clock, which `crash()` kills. */
export interface EngineProcess {
  readonly engine: Engine;
  /**
   * Kills it as SIGKILL would: from now on its appends never complete (nothing more of it is
   * recorded, even the outcome of a step that ignored its signal and returned late), its timers are
   * cleared, and the calls it had in flight are aborted without anyone waiting for them.
   */
  crash(): void;
}

/** Starts an engine whose writes to `options.store` go through a switch `crash()` turns off. */
export function startEngineProcess(options: EngineOptions): EngineProcess {
  let dead = false;
  const never = new Promise<never>(() => undefined);
  const { store } = options;
  const ownStore = new Proxy(store, {
    get(target, property, receiver) {
      if (property === 'append') return (...args: Parameters<EventStore['append']>) => (dead ? never : target.append(...args));
      // Closing is the test's, once, on the shared store.
      if (property === 'close') return async () => undefined;
      const value: unknown = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  const engine = createEngine({ ...options, store: ownStore });
  return {
    engine,
    crash() {
      dead = true;
      // Clears its timers and aborts what is in flight; not awaited, as nothing waits for a killed process.
      void engine.close().catch(() => undefined);
    },
  };
}
