/**
 * Child-process entry of the data bench: `node --expose-gc dist/bench/data-child.js <out.json>`.
 * `bench/run.ts` runs the data bench here, alone in its own process, so the peak RSS it reports
 * (`process.resourceUsage().maxRSS`) belongs to CSV preprocessing and nothing else.
 */
import { writeFile } from 'node:fs/promises';
import { runDataBench } from './data.js';

const out = process.argv[2];
if (out === undefined) {
  console.error('usage: node --expose-gc dist/bench/data-child.js <out.json>');
  process.exit(2);
}
const report = await runDataBench();
await writeFile(
  out,
  JSON.stringify({ ...report, childMaxRssMb: Math.round(process.resourceUsage().maxRSS / 1024) }),
);
