import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { seedExample, toCsv } from '../../lib/examples/generators.js';
import type { CommandContext } from '../command-kit.js';
import type { Io } from '../output.js';
import type { Session } from '../session.js';
import { evaluate } from './evaluate.js';
import { train } from './train.js';

/**
 * `shardtrain demo`: the whole job on the worked example y = 2x + ε — generate the data, upload
 * and preprocess it, train through the local cloud with 4 workers, evaluate.
 */
export async function demo(session: Session, io: Io): Promise<void> {
  const dir = join(session.root, 'examples');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'seed.csv');
  writeFileSync(file, toCsv(seedExample()));
  io.out(`1. generated ${file}: y = 2x + ε, 100 points, noise 0.1, seed 42`);
  const record = await session.upload(file, 'seed');
  if (record.state === 'ready')
    io.out(`2. uploaded and preprocessed: dataset seed version ${record.version}`);
  io.out('3. training linear regression through the local cloud (4 workers)');
  const result = await train(
    session,
    // The demo shows the queued runner, so it asks for it (auto would keep 100 rows in-process).
    {
      dataset: 'seed',
      target: 'y',
      model: 'linear',
      workers: 4,
      runner: 'local',
      placement: 'lambda',
      options: {},
      json: false,
    },
    io,
  );
  io.out('4. evaluating on the same data');
  await evaluate(session, { model: result.modelId, data: file, json: false }, io);
}

/** Declares `shardtrain demo`. */
export function registerDemo(program: Command, { session, io }: CommandContext): void {
  program
    .command('demo')
    .description('the whole job on the worked example y = 2x + ε: data, upload, preprocess, train, evaluate')
    .action(async (_o: unknown, cmd: Command) => {
      await demo(session(cmd), io);
    });
}
