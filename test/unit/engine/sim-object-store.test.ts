import { LatencyStore, SimObjectStore } from '../../../lib/simulation/sim-object-store.js';
import { objectStoreConformance } from '../../support/conformance/object-store.js';

// The simulator's durable store, bare and as its handlers see it (each call a scheduling point).
objectStoreConformance('SimObjectStore (simulator)', { create: () => new SimObjectStore() });
objectStoreConformance('LatencyStore over SimObjectStore (simulator)', {
  create: () => new LatencyStore(new SimObjectStore(), () => new Promise((r) => setImmediate(r))),
});
