import { readDocument } from '../../lib/documents.js';
import { keys } from '../../lib/engine/keys.js';
import {
  driftRecordSchema,
  type Pipeline,
  type PipelineDecision,
  pipelineDecisionSchema,
} from '../../lib/engine/pipelines/index.js';
import type { DriftReport } from '../../lib/registry/index.js';
import { type Io, num } from '../output.js';
import type { Session } from '../session.js';
import { waitForJob } from './job-progress.js';

/** What an upload set off in one pipeline: its drift report and, if it retrained, the decision. */
export interface UploadEffect {
  readonly pipeline: string;
  readonly drift?: DriftReport;
  readonly jobId?: string;
  readonly decision?: PipelineDecision;
}

/**
 * After an upload is preprocessed: reports drift against the champion of each pipeline that
 * watches the dataset (`watchers`, listed once by `Session.uploadRoute`) and waits for
 * the jobs the upload started (train on upload / retrain on drift), so the CLI user sees the
 * promotion decision before the local cloud stops.
 */
export async function afterUpload(
  session: Session,
  watchers: readonly Pipeline[],
  version: string,
  io: Io,
  quiet: boolean,
): Promise<UploadEffect[]> {
  const out: UploadEffect[] = [];
  for (const p of watchers) {
    const drift = await readDocument(
      session.home.store,
      keys.pipeline.drift(p.name, version),
      driftRecordSchema,
    );
    const effect: { pipeline: string; drift?: DriftReport; jobId?: string; decision?: PipelineDecision } = {
      pipeline: p.name,
    };
    if (drift !== undefined) {
      if (drift.report !== undefined) effect.drift = drift.report;
      if (!quiet && drift.report !== undefined) {
        io.err(
          `${p.name}: ${drift.report.drifted ? 'DRIFT' : 'no drift'} (max PSI ${num(drift.report.maxPsi)})`,
        );
      }
      if (drift.startedJob !== undefined) {
        effect.jobId = drift.startedJob;
        await waitForJob(session, drift.startedJob, io, !quiet);
        const decision = await readDocument(
          session.home.store,
          keys.pipeline.run(p.name, drift.startedJob),
          pipelineDecisionSchema,
        );
        if (decision !== undefined) {
          effect.decision = decision;
          if (!quiet)
            io.err(
              `${p.name}: ${decision.kind === 'gate' && decision.promote ? 'promoted' : 'kept champion'}: ${decision.reason}`,
            );
        }
      }
    }
    out.push(effect);
  }
  return out;
}
