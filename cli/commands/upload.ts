import { type Command, Option } from 'commander';
import { z } from 'zod';
import type { UploadRecord } from '../../lib/engine/datasets/uploads.js';
import { ShardtrainError } from '../../lib/errors.js';
import { oneLine } from '../../lib/validation/text.js';
import { type CommandContext, parseOptions } from '../command-kit.js';
import type { Io } from '../output.js';
import type { Session } from '../session.js';
import { afterUpload } from './after-upload.js';
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
  const route = await session.uploadRoute(
    args.dataset,
    args.runner === undefined
      ? undefined
      : { via: args.runner === 'local' ? 'cloud' : 'inprocess', flag: `--runner ${args.runner}` },
    parts,
  );
  const record = parts
    ? await uploadPartitioned(session, args.file, args.dataset)
    : route.via === 'inprocess'
      ? await session.uploadInProcess(args.file, args.dataset)
      : await session.upload(args.file, args.dataset);
  if (record.state === 'failed') throw new ShardtrainError(oneLine(record.error));
  const triggered =
    record.state === 'ready' && route.watchers.length > 0
      ? await afterUpload(session, route.watchers, record.version, io, args.json)
      : [];
  const parsed = { via: route.via, reason: route.reason };
  if (args.json) io.out(JSON.stringify({ ...record, pipelines: triggered, route: parsed }));
  else if (record.state === 'ready') {
    io.err(`parsed ${route.via === 'inprocess' ? 'in this process' : 'by the cloud'}: ${route.reason}`);
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
        'local: through the local cloud (default when a pipeline watches the dataset or on an AWS home); inprocess: parsed here (refused where the cloud parses the upload anyway: a watched dataset, an AWS home, a directory)',
      ).choices(['local', 'inprocess']),
    )
    .option('--partitioned', 'the path is a directory of part files (implied by a directory)')
    .action(async (file: string, _o: unknown, cmd: Command) => {
      const o = parseOptions(uploadFlagsSchema, cmd);
      await upload(session(cmd), { file, ...o }, io);
    });
}
