#!/usr/bin/env node
// npm run mutate [-- --area <name>[,<name>…]] [-- --mutate '<files>']: StrykerJS over the four
// areas, each against its own vitest list (docs/mutation.md, "How it is run"). One Stryker run per
// area: with the base list a mutant of the coordinator is covered by a dozen test files, each
// imported again per mutant, and the whole run takes hours on two cores; the per-area lists hold
// the direct tests of the area, so each score is a lower bound of the base list's. Incremental:
// results are kept per area in reports/mutate/<area>-incremental.json.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';

const AREAS = {
  'engine-training': {
    vitest: 'vitest.mutate-training.config.ts',
    mutate: ['lib/engine/training/**/*.ts', 'lib/engine/keys.ts'],
  },
  'engine-rest': {
    vitest: 'vitest.mutate-engine-rest.config.ts',
    mutate: [
      'lib/engine/datasets/**/*.ts',
      'lib/engine/serving/**/*.ts',
      'lib/engine/evaluation/**/*.ts',
      'lib/engine/pipelines/**/*.ts',
    ],
  },
  registry: { vitest: 'vitest.mutate-registry.config.ts', mutate: ['lib/registry/**/*.ts'] },
  'data-csv': { vitest: 'vitest.mutate-data.config.ts', mutate: ['lib/data/csv/**/*.ts'] },
  functions: { vitest: 'vitest.mutate-functions.config.ts', mutate: ['functions/**/*.ts'] },
};

const { values } = parseArgs({
  options: {
    area: { type: 'string' },
    mutate: { type: 'string' },
    concurrency: { type: 'string', default: '1' },
  },
});
const names = values.area === undefined ? Object.keys(AREAS) : values.area.split(',');
for (const name of names) {
  if (!(name in AREAS)) {
    console.error(`npm run mutate: --area ${name} is not one of ${Object.keys(AREAS).join(', ')}`);
    process.exit(2);
  }
}
if (!/^[1-9][0-9]*$/.test(values.concurrency)) {
  console.error(`npm run mutate: --concurrency ${values.concurrency} is not a positive integer`);
  process.exit(2);
}

const base = JSON.parse(readFileSync('stryker.config.json', 'utf8'));
delete base.$schema;
delete base._comment;
const dir = path.join('reports', 'mutate');
mkdirSync(dir, { recursive: true });
let failed = 0;
for (const name of names) {
  const area = AREAS[name];
  const config = {
    ...base,
    vitest: { configFile: area.vitest, related: true },
    mutate: values.mutate === undefined ? area.mutate : values.mutate.split(','),
    concurrency: Number(values.concurrency),
    incrementalFile: path.join(dir, `${name}-incremental.json`),
    jsonReporter: { fileName: path.join(dir, `${name}.json`) },
    tempDirName: path.join(dir, `tmp-${name}`),
    ignorePatterns: ['/.stryker-tmp', '/reports'],
  };
  const file = path.join(dir, `${name}.config.json`);
  writeFileSync(file, `${JSON.stringify(config, null, 2)}\n`);
  console.log(`== ${name}: ${config.mutate.join(', ')} against ${area.vitest}`);
  const run = spawnSync('npx', ['stryker', 'run', file], { stdio: 'inherit' });
  if (run.status !== 0) failed++;
}
process.exit(failed === 0 ? 0 : 1);
