import { join } from 'node:path';
import { readDocument } from '../../lib/documents.js';
import { listUploads } from '../../lib/engine/datasets/uploads.js';
import { keys } from '../../lib/engine/keys.js';
import { type JobSpec, jobSpecSchema } from '../../lib/engine/training/job-spec.js';
import { latestState, readJobSpec } from '../../lib/engine/training/job-store.js';
import { messageFailureReason } from '../../lib/engine/training/protocol.js';
import { latestRoundRecord } from '../../lib/engine/training/round-records.js';
import { UsageError } from '../../lib/errors.js';
import { excerpt } from '../../lib/validation/text.js';
import { type Io, num } from '../output.js';
import type { Session } from '../session.js';

/** `shardtrain models list`: every model with its versions and aliases. */
export async function modelsList(session: Session, json: boolean, io: Io) {
  const { registry } = session.home;
  const rows = [];
  for (const name of await registry.listModels()) {
    const versions = await registry.listVersions(name);
    rows.push({ name, versions, latest: versions.at(-1) ?? null, aliases: await registry.getAliases(name) });
  }
  if (json) io.out(JSON.stringify(rows));
  else if (rows.length === 0) io.out('no models yet: train one with shardtrain train');
  else
    for (const r of rows) {
      const aliases = Object.entries(r.aliases)
        .map(([a, v]) => `${a}→${v}`)
        .join(' ');
      io.out(`${r.name.padEnd(24)} versions ${r.versions.length} (latest ${r.latest})  ${aliases}`);
    }
  return rows;
}

/** `shardtrain models show <ref>`: one version with its metrics and lineage. */
export async function modelsShow(session: Session, ref: string, json: boolean, io: Io) {
  const v = await session.home.registry.resolve(ref);
  if (json) {
    io.out(JSON.stringify(v));
    return v;
  }
  io.out(`${v.name}@${v.version}  created ${v.createdAt}`);
  io.out(
    `  dataset ${v.lineage.dataset}@${v.lineage.datasetVersion}, job ${v.lineage.jobId ?? '-'}, backend ${v.lineage.backend}`,
  );
  io.out(
    `  train metrics: ${Object.entries(v.metrics.train)
      .map(([k, x]) => `${k} ${num(x)}`)
      .join(', ')}`,
  );
  if (v.metrics.holdout !== undefined) {
    io.out(
      `  holdout metrics: ${Object.entries(v.metrics.holdout)
        .map(([k, x]) => `${k} ${num(x)}`)
        .join(', ')}`,
    );
  }
  io.out(`  ${JSON.stringify({ coefficients: v.artifact.coefficients, intercept: v.artifact.intercept })}`);
  return v;
}

/** `shardtrain datasets`: every upload with its state (ready with version, or failed with the error). */
export async function datasetsList(session: Session, json: boolean, io: Io) {
  const uploads = await listUploads(session.home.store);
  if (json) io.out(JSON.stringify(uploads));
  else if (uploads.length === 0) io.out('no datasets yet: shardtrain upload <file.csv> --dataset <name>');
  else
    for (const u of uploads) {
      const detail =
        u.state === 'ready' ? `version ${u.version}, ${u.rows} rows` : u.state === 'failed' ? u.error : '';
      io.out(`${u.dataset.padEnd(20)} ${u.state.padEnd(10)} ${u.key}  ${detail}`);
    }
  return uploads;
}

async function jobState(session: Session, spec: JobSpec) {
  const { store } = session.home;
  const state = await latestState(store, spec.jobId);
  const done = (await store.head(keys.job.model(spec.jobId))) !== undefined;
  // Queued runs record every round; an in-process run keeps only its final state's last record.
  const last =
    (await latestRoundRecord(store, spec.jobId, Math.max(0, (state?.round ?? 1) - 1))) ??
    state?.last ??
    undefined;
  return {
    id: spec.jobId,
    state: done ? 'done' : state === undefined ? 'starting' : state.status.status,
    round: state?.round ?? 0,
    epoch: state?.epoch ?? 0,
    dataset: `${spec.dataset.name}@${spec.dataset.version}`,
    model: spec.model,
    workers: spec.workers,
    loss: last?.loss ?? null,
    lr: last?.lr ?? null,
    gradNorm: last?.gradNorm ?? null,
    createdAt: spec.createdAt,
  };
}

/** `shardtrain jobs`: id, state, round and dataset of every job. */
export async function jobsList(session: Session, json: boolean, io: Io) {
  const specs = (await session.home.store.list(keys.jobsPrefix)).filter((i) => i.key.endsWith('/spec.json'));
  const rows = [];
  for (const info of specs) {
    const spec = await readDocument(session.home.store, info.key, jobSpecSchema);
    if (spec !== undefined) rows.push(await jobState(session, spec));
  }
  if (json) io.out(JSON.stringify(rows));
  else for (const r of rows) io.out(`${r.id.padEnd(52)} ${r.state.padEnd(9)} round ${r.round}  ${r.dataset}`);
  return rows;
}

/** `shardtrain status <jobId>`: round, loss, lr and the queue depths. */
export async function jobStatus(session: Session, jobId: string, json: boolean, io: Io) {
  const row = await jobState(session, await readJobSpec(session.home.store, jobId));
  const depth = session.cloudKind === 'aws' ? await awsDepths(session) : await localDepths(session);
  const out = { ...row, queues: depth };
  if (json) io.out(JSON.stringify(out));
  else {
    io.out(
      `${row.id}: ${row.state}, round ${row.round} (epoch ${row.epoch}), loss ${num(row.loss ?? Number.NaN)}, lr ${num(row.lr ?? Number.NaN)}`,
    );
    for (const [q, d] of Object.entries(depth))
      io.out(`  ${q.padEnd(13)} visible ${d.visible}, in flight ${d.inFlight}`);
  }
  return out;
}

/** Queue depths of the deployed stack (the DLQs are watched by CloudWatch alarms). */
async function awsDepths(session: Session) {
  const runtime = await session.runtime();
  return { work: await runtime.workQueue.depth(), aggregate: await runtime.aggregateQueue.depth() };
}

/**
 * Queue depths of the local cloud, read as the queues exist: re-declaring them here would fail
 * when the cloud that created them ran with another SHARDTRAIN_VISIBILITY_TIMEOUT.
 */
async function localDepths(session: Session) {
  const { LOCAL_QUEUE_NAMES: n, SqliteQueueBroker } = await import('../../lib/adapters/local/index.js');
  const broker = new SqliteQueueBroker({ path: join(session.root, 'queues.db') });
  const existing = new Set(broker.listQueues());
  const depthOf = async (name: string) =>
    existing.has(name) ? broker.getQueue(name).depth() : { visible: 0, inFlight: 0, delayed: 0 };
  const depth = {
    work: await depthOf(n.work),
    aggregate: await depthOf(n.aggregate),
    workDlq: await depthOf(n.workDlq),
    aggregateDlq: await depthOf(n.aggregateDlq),
  };
  broker.close();
  return depth;
}

/**
 * `shardtrain dlq`: messages that failed `maxReceiveCount` times (poison: schema-invalid, unknown
 * version, a job that does not exist…), each with the reason its last failure recorded.
 */
export async function deadLetters(session: Session, json: boolean, io: Io) {
  const { LOCAL_QUEUE_NAMES: n, SqliteQueueBroker } = await import('../../lib/adapters/local/index.js');
  const broker = new SqliteQueueBroker({ path: join(session.root, 'queues.db') });
  const rows: {
    queue: string;
    messageId: string;
    receiveCount: number;
    body: string;
    reason: string | null;
  }[] = [];
  try {
    const existing = new Set(broker.listQueues());
    for (const name of [n.workDlq, n.aggregateDlq, n.eventsDlq]) {
      if (!existing.has(name)) continue;
      for (const m of await broker.getQueue(name).peek({ limit: 1000 })) {
        const reason = await messageFailureReason(session.home.store, m.messageId);
        rows.push({
          queue: name,
          messageId: m.messageId,
          receiveCount: m.receiveCount,
          body: m.body,
          reason: reason ?? null,
        });
      }
    }
  } finally {
    broker.close();
  }
  if (json) io.out(JSON.stringify(rows));
  else if (rows.length === 0) io.out('no dead letters');
  else
    for (const r of rows)
      io.out(
        `${r.queue} ${r.messageId} after ${r.receiveCount} tries: ${r.reason ?? 'no reason recorded'}\n  ${r.body.slice(0, 200)}`,
      );
  return rows;
}

/**
 * `dlq redrive`: moves dead letters back to the queue each came from (receive counts reset, like
 * SQS's redrive), after the cause was fixed; they run the next time the local cloud runs.
 * Their recorded failure reasons are removed with them.
 */
export async function redriveDeadLetters(
  session: Session,
  options: { queue?: string; json: boolean },
  io: Io,
) {
  const { LOCAL_QUEUE_NAMES: n, SqliteQueueBroker } = await import('../../lib/adapters/local/index.js');
  const pairs: [string, string][] = [
    [n.workDlq, n.work],
    [n.aggregateDlq, n.aggregate],
    [n.eventsDlq, n.events],
  ];
  if (options.queue !== undefined && !pairs.some(([dlq]) => dlq === options.queue)) {
    throw new UsageError(
      `--queue ${excerpt(options.queue)} is not a dead-letter queue; one of: ${pairs.map(([d]) => d).join(', ')}`,
    );
  }
  const broker = new SqliteQueueBroker({ path: join(session.root, 'queues.db') });
  const moved: { queue: string; to: string; messages: number }[] = [];
  try {
    const existing = new Set(broker.listQueues());
    for (const [dlq, source] of pairs) {
      if (options.queue !== undefined && dlq !== options.queue) continue;
      if (!existing.has(dlq) || !existing.has(source)) continue;
      const queue = broker.getQueue(dlq);
      const ids = (await queue.peek({ limit: 100_000 })).map((m) => m.messageId);
      const count = await queue.moveMessagesTo(source);
      for (const id of ids.slice(0, count))
        await session.home.store.delete(keys.failure(id)).catch(() => undefined);
      moved.push({ queue: dlq, to: source, messages: count });
    }
  } finally {
    broker.close();
  }
  if (options.json) io.out(JSON.stringify(moved));
  else {
    const total = moved.reduce((a, m) => a + m.messages, 0);
    if (total === 0) io.out('no dead letters to redrive');
    for (const m of moved.filter((x) => x.messages > 0))
      io.out(`${m.queue}: ${m.messages} message(s) moved back to ${m.to}`);
  }
  return moved;
}
