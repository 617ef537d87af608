import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { datasetManifestSchema } from '../lib/data/index.js';
import { readDocument } from '../lib/documents.js';
import { listUploads } from '../lib/engine/datasets/uploads.js';
import { keys } from '../lib/engine/keys.js';
import { listPipelines, type PipelineDecision, pipelineRuns } from '../lib/engine/pipelines/index.js';
import { NotFoundError, ShardtrainError, UsageError } from '../lib/errors.js';
import {
  datasetPage,
  deadLettersPage,
  errorPage,
  jobPage,
  modelPage,
  notFoundPage,
  overviewPage,
  pipelinesPage,
  progressText,
} from '../lib/report/dashboard-pages.js';
import {
  chartAssets,
  datasetSummary,
  gatherJobReport,
  jobProgress,
  type RoundPoint,
  roundChartData,
  versionDrift,
} from '../lib/report/index.js';
import { deadLetters, jobsList } from './commands/inspect.js';
import { modelsPromote, modelsRollback } from './commands/lifecycle.js';
import type { Io } from './output.js';
import type { Session } from './session.js';

export interface DashboardOptions {
  readonly port: number;
  readonly host: string;
  readonly allowWrites: boolean;
}

/** A running dashboard: its URL, and how to stop it. */
export interface Dashboard {
  readonly url: string;
  readonly server: Server;
  close(): Promise<void>;
}

/** An Io that keeps what a CLI command prints (the dashboard reuses the commands' `--json` output). */
function capture(): Io & { lines: string[] } {
  const lines: string[] = [];
  return { lines, out: (l) => lines.push(l), err: () => undefined, isTty: false };
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/**
 * Starts the dashboard on `node:http` (no framework: eight routes, HTML rendered by
 * `lib/report`). Reads through the session's store and registry; promote and rollback go
 * through the same registry compare-and-set as `shardtrain models promote/rollback`, and only
 * with `allowWrites`. A port in use is a `UsageError` naming the port.
 */
export async function startDashboard(session: Session, o: DashboardOptions): Promise<Dashboard> {
  const assets = chartAssets();
  const { store, registry } = session.home;
  const pipelineDeps = () => ({ engine: { store } }) as Parameters<typeof listPipelines>[0];

  const send = (res: ServerResponse, status: number, html: string, type = 'text/html; charset=utf-8') => {
    res.writeHead(status, {
      'content-type': type,
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    });
    res.end(html);
  };

  async function overview() {
    const uploads = await listUploads(store);
    const names = [...new Set(uploads.map((u) => u.dataset))].sort();
    const jobs = (await jobsList(session, true, capture())) as Awaited<ReturnType<typeof jobsList>>;
    const models = [];
    for (const name of await registry.listModels()) {
      models.push({
        name,
        versions: (await registry.listVersions(name)).length,
        aliases: await registry.getAliases(name),
      });
    }
    const pipelines = [];
    for (const p of await listPipelines(pipelineDeps())) {
      pipelines.push({ name: p.name, decisions: (await pipelineRuns(pipelineDeps(), p.name)).length });
    }
    const dlq =
      session.cloudKind === 'aws' ? null : await deadLetters(session, true, capture()).catch(() => null);
    return overviewPage(
      {
        where: session.home.root,
        datasets: names.map((name) => {
          const mine = uploads.filter((u) => u.dataset === name);
          const last = mine.filter((u) => u.state === 'ready').at(-1);
          return {
            name,
            versions: new Set(mine.flatMap((u) => (u.state === 'ready' ? [u.version] : []))).size,
            failed: mine.filter((u) => u.state === 'failed').length,
            rows: last?.state === 'ready' ? last.rows : null,
          };
        }),
        jobs: jobs
          .map((j) => ({
            id: j.id,
            state: j.state,
            round: j.round,
            dataset: j.dataset,
            model: j.model,
            createdAt: j.createdAt,
          }))
          .sort((a, b) => b.createdAt.localeCompare(a.createdAt)),
        models,
        pipelines,
        deadLetters: dlq === null ? null : dlq.length,
      },
      assets,
    );
  }

  async function dataset(name: string, wanted: string | null) {
    if (!NAME.test(name)) throw new NotFoundError(`no dataset "${name}"`);
    const uploads = await listUploads(store, name);
    const versions = [...new Set(uploads.flatMap((u) => (u.state === 'ready' ? [u.version] : [])))];
    if (uploads.length === 0) throw new NotFoundError(`no dataset "${name}" (see: shardtrain datasets)`);
    const manifests = new Map<string, ReturnType<typeof datasetManifestSchema.parse>>();
    for (const v of versions) {
      const manifest = await readDocument(store, keys.manifest(name, v), datasetManifestSchema);
      if (manifest !== undefined) manifests.set(v, manifest);
    }
    const shownVersion = wanted ?? versions.at(-1);
    const shown = shownVersion === undefined ? undefined : manifests.get(shownVersion);
    if (shown === undefined) {
      throw new NotFoundError(
        wanted === null
          ? `dataset "${name}" has no ready version`
          : `dataset "${name}" has no version ${wanted}`,
      );
    }
    const drift = versions.slice(1).map((to, i) => {
      const from = versions[i]!;
      const a = manifests.get(from);
      const b = manifests.get(to);
      if (a === undefined || b === undefined) return { from, to, report: null, error: 'manifest missing' };
      try {
        return { from, to, report: versionDrift(a, b) };
      } catch (e) {
        return { from, to, report: null, error: e instanceof Error ? e.message : String(e) };
      }
    });
    return datasetPage({ name, uploads, shown: datasetSummary(shown), drift }, assets);
  }

  async function model(name: string, message?: string) {
    if (!NAME.test(name) || !(await registry.listModels()).includes(name)) {
      throw new NotFoundError(`no model "${name}" (see: shardtrain models list)`);
    }
    const versions = [];
    for (const v of await registry.listVersions(name)) versions.push(await registry.getVersion(name, v));
    const decisions: PipelineDecision[] = [];
    for (const p of await listPipelines(pipelineDeps())) {
      if (p.modelName === name) decisions.push(...(await pipelineRuns(pipelineDeps(), p.name)));
    }
    return modelPage(
      {
        name,
        versions: versions.reverse(),
        aliases: await registry.getAliases(name),
        history: await registry.history(name),
        decisions,
        allowWrites: o.allowWrites,
        ...(message !== undefined ? { message } : {}),
      },
      assets,
    );
  }

  async function pipelines() {
    const out = [];
    for (const p of await listPipelines(pipelineDeps())) {
      out.push({
        name: p.name,
        modelName: p.modelName,
        dataset: p.dataset,
        schedule: p.schedule,
        decisions: await pipelineRuns(pipelineDeps(), p.name),
      });
    }
    return pipelinesPage(out, assets);
  }

  async function jobReport(id: string) {
    if (!/^[a-z0-9][a-z0-9-]{2,80}$/.test(id) || (await store.head(keys.job.spec(id))) === undefined) {
      throw new NotFoundError(`no job "${id}" (see: shardtrain jobs)`);
    }
    return gatherJobReport(store, registry, id);
  }

  const historyCaches = new Map<string, Map<string, RoundPoint>>();
  async function progress(id: string) {
    if (!/^[a-z0-9][a-z0-9-]{2,80}$/.test(id))
      throw new NotFoundError(`no job "${id}" (see: shardtrain jobs)`);
    const cache = historyCaches.get(id) ?? new Map<string, RoundPoint>();
    historyCaches.set(id, cache);
    if (historyCaches.size > 32) historyCaches.delete(historyCaches.keys().next().value!);
    const r = await jobProgress(store, id, cache);
    return JSON.stringify({
      status: r.status,
      round: r.round,
      text: progressText(r),
      errors: r.errors,
      charts: roundChartData(r.history),
    });
  }

  async function write(req: IncomingMessage, name: string, action: string): Promise<string> {
    if (!o.allowWrites) throw new UsageError('the dashboard is read-only; start it with --allow-writes');
    const form = new URLSearchParams(await body(req));
    const alias = form.get('alias') ?? 'champion';
    const reason = form.get('reason') || undefined;
    const json = capture();
    if (action === 'promote') {
      const version = Number(form.get('version'));
      if (!Number.isInteger(version) || version < 1)
        throw new UsageError('version must be a positive integer');
      await modelsPromote(session, name, version, { alias, ...(reason ? { reason } : {}), json: true }, json);
      return `${name}@${alias} → ${version}`;
    }
    await modelsRollback(session, name, { alias, ...(reason ? { reason } : {}), json: true }, json);
    return `${name}@${alias} rolled back`;
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://dashboard');
    const parts = url.pathname
      .split('/')
      .filter((p) => p !== '')
      .map(decodeURIComponent);
    const method = req.method ?? 'GET';
    if (
      method === 'POST' &&
      parts[0] === 'models' &&
      parts.length === 3 &&
      (parts[2] === 'promote' || parts[2] === 'rollback')
    ) {
      if (!o.allowWrites) {
        send(
          res,
          403,
          errorPage('the dashboard is read-only; start it with: shardtrain ui --allow-writes', assets),
        );
        return;
      }
      let message: string;
      try {
        message = await write(req, parts[1]!, parts[2]);
      } catch (e) {
        if (!(e instanceof ShardtrainError) || e instanceof NotFoundError) throw e;
        message = `refused: ${e.message}`;
      }
      send(res, 200, await model(parts[1]!, message));
      return;
    }
    if (method !== 'GET' && method !== 'HEAD') {
      send(res, 405, errorPage(`${method} is not allowed here`, assets));
      return;
    }
    if (parts.length === 0) return send(res, 200, await overview());
    if (parts[0] === 'datasets' && parts.length === 2)
      return send(res, 200, await dataset(parts[1]!, url.searchParams.get('version')));
    if (parts[0] === 'jobs' && parts.length === 2)
      return send(res, 200, jobPage(await jobReport(parts[1]!), assets));
    if (parts[0] === 'api' && parts[1] === 'jobs' && parts[3] === 'progress' && parts.length === 4)
      return send(res, 200, await progress(parts[2]!), 'application/json');
    if (parts[0] === 'models' && parts.length === 2) return send(res, 200, await model(parts[1]!));
    if (parts[0] === 'pipelines' && parts.length === 1) return send(res, 200, await pipelines());
    if (parts[0] === 'dead-letters' && parts.length === 1) {
      const rows =
        session.cloudKind === 'aws'
          ? {
              error:
                'on AWS the dead-letter queues are SQS queues with CloudWatch alarms; read them in the SQS console (this page reads the local cloud’s queues)',
            }
          : await deadLetters(session, true, capture()).catch((e: unknown) => ({
              error: `the dead-letter queues could not be read: ${e instanceof Error ? e.message : String(e)}`,
            }));
      return send(res, 200, deadLettersPage(rows, assets));
    }
    throw new NotFoundError(`no page at ${url.pathname}`);
  }

  const server = createServer((req, res) => {
    route(req, res).catch((e: unknown) => {
      const api = (req.url ?? '').startsWith('/api/');
      const status = e instanceof NotFoundError ? 404 : e instanceof ShardtrainError ? 400 : 500;
      const message = e instanceof Error ? e.message : String(e);
      if (res.headersSent) res.end();
      else if (api) send(res, status, JSON.stringify({ error: message }), 'application/json');
      else send(res, status, status === 404 ? notFoundPage(message, assets) : errorPage(message, assets));
    });
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      fail(
        e.code === 'EADDRINUSE'
          ? new UsageError(`port ${o.port} on ${o.host} is already in use; choose another with --port`)
          : e.code === 'EACCES'
            ? new UsageError(
                `port ${o.port} on ${o.host} needs privileges; choose one above 1023 with --port`,
              )
            : e,
      ),
    );
    server.listen(o.port, o.host, () => ok());
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : o.port;
  const host = o.host.includes(':') ? `[${o.host}]` : o.host;
  return {
    url: `http://${host}:${port}/`,
    server,
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}

/** A form body, at most 64 kB. */
function body(req: IncomingMessage): Promise<string> {
  return new Promise((ok, fail) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      text += chunk;
      if (text.length > 65_536) fail(new UsageError('form too large'));
    });
    req.on('end', () => ok(text));
    req.on('error', fail);
  });
}
