import type { Command } from 'commander';
import { z } from 'zod';
import type { UploadRecord } from '../../lib/engine/datasets/uploads.js';
import { type CommandContext, parseOptions } from '../command-kit.js';
import type { Io } from '../output.js';
import type { Session } from '../session.js';
import { afterUpload } from './after-upload.js';
import { isDirectory, uploadPartitioned } from './upload-parts.js';

export const uploadFlagsSchema = z.object({
  dataset: z.string(),
  json: z.boolean().default(false),
  partitioned: z.boolean().default(false),
});

/**
 * `shardtrain upload`: uploads a file as a new version of a dataset, waits for its preprocessing
 * and for what it set off (drift checks, pipelines that train on upload), and prints the record.
 */
export async function upload(
  session: Session,
  args: { file: string; dataset: string; json: boolean; partitioned: boolean },
  io: Io,
): Promise<UploadRecord> {
  const parts = args.partitioned || (await isDirectory(args.file));
  const record = parts
    ? await uploadPartitioned(session, args.file, args.dataset)
    : await session.upload(args.file, args.dataset);
  const triggered =
    record.state === 'ready' ? await afterUpload(session, record.dataset, record.version, io, args.json) : [];
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
    .option('--partitioned', 'the path is a directory of part files (implied by a directory)')
    .action(async (file: string, _o: unknown, cmd: Command) => {
      const o = parseOptions(uploadFlagsSchema, cmd);
      await upload(session(cmd), { file, ...o }, io);
    });
}
