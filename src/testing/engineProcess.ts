import { type Engine, type EngineOptions, createEngine } from '../actors/index.js';

/** An engine as one simulated process on a shared store and clock, which `crash()` kills. */
export interface EngineProcess {
  readonly engine: Engine;
  /**
   * Kills it as SIGKILL would: from now on its appends and artifact writes never complete (nothing
   * more of it is recorded, even by a step that ignored its signal and went on), its timers are
   * cleared, and the calls it had in flight are aborted without anyone waiting for them.
   */
  crash(): void;
}

const never = new Promise<never>(() => undefined);

/** `target` whose `write` method never answers once `dead()`, and whose `close` is left to its owner. */
function cutOff<T extends object>(target: T, write: keyof T & string, dead: () => boolean): T {
  return new Proxy(target, {
    get(object, property, receiver) {
      const value: unknown = Reflect.get(object, property, receiver);
      if (typeof value !== 'function') return value;
      const method = (value as (...args: unknown[]) => unknown).bind(object);
      // Closing is the test's, once, on the shared store.
      if (property === 'close') return async () => undefined;
      return property === write ? (...args: unknown[]) => (dead() ? never : method(...args)) : method;
    },
  });
}

/** Starts an engine whose writes (to `options.store` and `options.artifacts`) go through a switch `crash()` turns off. */
export function startEngineProcess(options: EngineOptions): EngineProcess {
  let dead = false;
  const isDead = () => dead;
  const engine = createEngine({ ...options, store: cutOff(options.store, 'append', isDead), artifacts: cutOff(options.artifacts, 'put', isDead) });
  return {
    engine,
    crash() {
      dead = true;
      // Clears its timers and aborts what is in flight; not awaited, as nothing waits for a killed process.
      void engine.close().catch(() => undefined);
    },
  };
}
