/** The in-memory store moved to lib/simulation (the `simulate` command uses it); tests keep this path. */
export * from '../../lib/simulation/memory-object-store.js';
