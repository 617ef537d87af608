import type { Command } from 'commander';
import { z } from 'zod';
import { type CommandContext, parseOptions } from '../command-kit.js';
import type { Io } from '../output.js';
import type { Session } from '../session.js';
import { type DashboardOptions, startDashboard } from '../ui-server.js';
import { nonNegInt } from '../validate.js';

/**
 * `shardtrain ui [--port 4800]`: serves the dashboard on 127.0.0.1 until Ctrl-C (SIGINT) or
 * SIGTERM, printing its URL first.
 */
export async function ui(session: Session, o: DashboardOptions, io: Io): Promise<void> {
  const dashboard = await startDashboard(session, o);
  io.out(
    `shardtrain dashboard at ${dashboard.url} (${o.allowWrites ? 'promote/rollback allowed' : 'read-only'}; Ctrl-C to stop)`,
  );
  await new Promise<void>((done) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      done();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await dashboard.close();
}

export const uiFlagsSchema = z.object({
  port: z.number(),
  host: z.string(),
  allowWrites: z.boolean().default(false),
});

/** Declares `shardtrain ui`. */
export function registerUi(program: Command, { session, io }: CommandContext): void {
  program
    .command('ui')
    .description(
      'a local dashboard over the home (or the deployed bucket): datasets, jobs, models, pipelines',
    )
    .option('--port <n>', 'TCP port', nonNegInt, 4800)
    .option('--host <addr>', 'address to bind', '127.0.0.1')
    .option('--allow-writes', 'allow promote and rollback from the dashboard')
    .action(async (_o: unknown, cmd: Command) => {
      await ui(session(cmd), parseOptions(uiFlagsSchema, cmd), io);
    });
}
