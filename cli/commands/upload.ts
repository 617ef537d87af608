import { type Command, Option } from 'commander';
import { z } from 'zod';
import type { UploadRecord } from '../../lib/engine/datasets/uploads.js';
import { ShardtrainError } from '../../lib/errors.js';
import { oneLine } from '../../lib/validation/text.js';
import { type CommandContext, parseOptions } from '../command-kit.js';
import type { Io } from '../output.js';
import type { Session } from '../session.js';
import { afterUpload, watchedByPipeline } from './after-upload.js';
import { isDirectory, uploadPartitioned } from './upload-parts.js';

export const uploadFlagsSchema = z.object({
  dataset: z.string(),
  runner: z.enum(['local', 'inprocess']).optional(),
  json: z.boolean().default(false),
  partitioned: z.boolean().default(false),
});

/**
 * `shardtrain upload`: uploads a file as a new version of a dataset, waits for its preprocessing
 * and for what it set off (drift checks, pipelines that train on upload), and prints the record.
 */
export async function upload(
  session: Session,
  args: {
    file: string;
    dataset: string;
    json: boolean;
    partitioned: boolean;
    runner?: 'local' | 'inprocess';
  },
  io: Io,
): Promise<UploadRecord> {
  const parts = args.partitioned || (await isDirectory(args.file));
  // A local home with no pipeline watching the dataset parses the file in this process (as
  // `train --data` does); otherwise through the cloud, whose handler runs drift checks and
  // train-on-upload. `--runner local` forces the local cloud.
  const watched = await watchedByPipeline(session, args.dataset);
  const here =
    !parts && args.runner !== 'local' && !watched && (args.runner === 'inprocess' || session.isLocalHome());
  const record = parts
    ? await uploadPartitioned(session, args.file, args.dataset)
    : here
      ? await session.uploadInProcess(args.file, args.dataset)
      : await session.upload(args.file, args.dataset);
  if (record.state === 'failed') throw new ShardtrainError(oneLine(record.error));
  const triggered =
    record.state === 'ready' && watched
      ? await afterUpload(session, record.dataset, record.version, io, args.json)
      : [];
  if (args.json) io.out(JSON.stringify({ ...record, pipelines: triggered }));
  else if (record.state === 'ready') {
    io.out(
      `dataset ${record.dataset} version ${record.version}: ${record.rows} rows, columns ${record.columns.join(', ')}`,
    );
  }
  return record;
}

/** Declares `shardtrain upload <file>`. */
export function registerUpload(program: Command, { session, io }: CommandContext): void {
  program
    .command('upload <file>')
    .description(
      'upload a CSV or Parquet file (or a directory of part files) as a new version of a dataset; it is validated and preprocessed on arrival',
    )
    .requiredOption('--dataset <name>', 'dataset name')
    .option('--json', 'print the upload record as JSON')
    .addOption(
      new Option(
        '--runner <where>',
        'local: through the local cloud (default when a pipeline watches the dataset); inprocess: parsed here',
      ).choices(['local', 'inprocess']),
    )
    .option('--partitioned', 'the path is a directory of part files (implied by a directory)')
    .action(async (file: string, _o: unknown, cmd: Command) => {
      const o = parseOptions(uploadFlagsSchema, cmd);
      await upload(session(cmd), { file, ...o }, io);
    });
}
