import type { Io } from '../output.js';
import type { Session } from '../session.js';
import { type DashboardOptions, startDashboard } from '../ui-server.js';

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
