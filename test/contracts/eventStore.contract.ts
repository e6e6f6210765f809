import { describe } from 'vitest';
import { appendContract } from './eventStore/appendContract.js';
import { useContractContext, type EventStoreFactory } from './eventStore/context.js';
import { lifecycleContract } from './eventStore/lifecycleContract.js';
import { propertyContract } from './eventStore/propertyContract.js';
import { readContract } from './eventStore/readContract.js';
import { subscriptionContract } from './eventStore/subscriptionContract.js';
import { validationContract } from './eventStore/validationContract.js';

export type { EventStoreFactory } from './eventStore/context.js';

/**
 * The event store contract: every adapter runs it from its own test file, e.g.
 * `eventStoreContract('sqlite', async () => ({ store: await openEventStore(url), cleanup }))`.
 * It is written against the port only. Each test gets a fresh store from the factory (closed
 * afterwards, then `cleanup` runs) and unique stream names, so it also suits a shared server
 * whose log already holds other events.
 */
export function eventStoreContract(name: string, factory: EventStoreFactory): void {
  describe(`${name} event store contract`, () => {
    const ctx = useContractContext(factory);
    appendContract(ctx);
    readContract(ctx);
    subscriptionContract(ctx);
    validationContract(ctx);
    lifecycleContract(ctx);
    propertyContract(ctx);
  });
}
