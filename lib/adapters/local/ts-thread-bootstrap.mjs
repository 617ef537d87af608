// Starts a handler thread from TypeScript sources (tests, `tsx`): registers tsx in the thread,
// then imports the entry. The compiled build starts the .js entry directly and never uses this.
import { workerData } from 'node:worker_threads';

const { register } = await import('tsx/esm/api');
register();
await import(workerData.entry);
