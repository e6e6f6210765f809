import { openEventStore } from '../../src/eventstore/index.js';
import { eventStoreContract } from '../contracts/eventStore.contract.js';

eventStoreContract('memory', async () => ({ store: await openEventStore('memory:') }));
