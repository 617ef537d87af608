import { InfrastructureError, NotFoundError, PreconditionFailedError, UsageError } from '../errors.js';
import type { EventSink, ObjectStore } from '../ports.js';
import { aliasesAt, filterHistory, type HistoryQuery, lastMove, nextMoveTime } from './alias-history.js';
import { type RetryPolicy, realSleep, retryOnConflict } from './cas-retry.js';
import { hasFiniteNumbers } from './finite.js';
import { casCondition, readDocument, type Versioned, writeDocument } from './json-documents.js';
import { type RegistryKeys, registryKeys, versionFromKey } from './keys.js';
import { assertAlias, assertModelName, assertVersionNumber, parseModelRef } from './names.js';
import { AliasConflictError } from './registry-errors.js';
import {
  type AliasDocument,
  type AliasMove,
  aliasDocumentSchema,
  type ModelVersion,
  modelVersionSchema,
  type NewModelVersion,
  type TagDocument,
  tagDocumentSchema,
} from './schemas.js';

/** Event types the registry publishes (detail shapes in the TSDoc of {@link ModelRegistry}). */
export const RegistryEventType = {
  ModelVersionCreated: 'ModelVersionCreated',
  AliasMoved: 'AliasMoved',
} as const;

/** Options of {@link ModelRegistry}. */
export interface ModelRegistryOptions {
  readonly store: ObjectStore;
  /** Where `ModelVersionCreated` / `AliasMoved` go. @default no events */
  readonly events?: EventSink;
  /** Clock for `createdAt` and alias-move times. @default () => new Date() */
  readonly now?: () => Date;
  /** Key prefix in the store. @default 'registry' */
  readonly prefix?: string;
  /** Bounds on compare-and-set retries of alias and tag documents. */
  readonly retry?: RetryPolicy;
  /** Jitter source for retry backoff. @default Math.random */
  readonly random?: () => number;
  /** @default a real timer */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** Why an alias moves, and who moved it (recorded in the history). */
export interface MoveOptions {
  readonly reason: string;
  readonly actor?: string;
  /**
   * Optimistic promotion: the version the alias must point at now (`null` = must be unset), else
   * the move fails with `AliasConflictError`. Checked against a fresh read on every retry.
   */
  readonly expectedVersion?: number | null;
}

/** Result of an alias operation: the recorded move, or `moved: false` when it already held. */
export type AliasMoveResult =
  | { readonly moved: true; readonly move: AliasMove }
  | { readonly moved: false; readonly version: number | null };

/** Upper bound on version-number probes in one `createVersion`: each lost probe means another version exists. */
const MAX_VERSION_PROBES = 10_000;

type MoveDecision = { readonly to: number | null } | 'unchanged';

/**
 * MLflow-style model registry over an {@link ObjectStore}: immutable numbered versions, aliases
 * with a full move history (compare-and-set on one document per model), and version tags.
 *
 * Events: `ModelVersionCreated` {name, version, dataset, datasetVersion};
 * `AliasMoved` {name, alias, from, to, reason} (`to: null` = deleted).
 *
 * @example
 * const registry = new ModelRegistry({ store, events });
 * const { version } = await registry.createVersion('churn', { artifact, metrics, lineage });
 * await registry.setAlias('churn', 'champion', version, { reason: 'beat v3 on holdout auc' });
 * const serving = await registry.resolve('churn@champion');
 */
export class ModelRegistry {
  private readonly store: ObjectStore;
  private readonly events: EventSink | undefined;
  private readonly now: () => Date;
  private readonly keys: RegistryKeys;
  private readonly retry: RetryPolicy;
  private readonly random: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  public constructor(options: ModelRegistryOptions) {
    this.store = options.store;
    this.events = options.events;
    this.now = options.now ?? (() => new Date());
    this.keys = registryKeys(options.prefix);
    this.retry = options.retry ?? {};
    this.random = options.random ?? Math.random;
    this.sleep = options.sleep ?? realSleep;
  }

  /**
   * Stores a new immutable version with the next free number. Numbers are claimed with
   * put-if-absent, so concurrent writers get distinct numbers and never overwrite each other.
   */
  public async createVersion(name: string, input: NewModelVersion): Promise<ModelVersion> {
    assertModelName(name);
    const draft = {
      v: 1 as const,
      name,
      createdAt: this.now().toISOString(),
      artifact: input.artifact,
      metrics: input.metrics,
      lineage: input.lineage,
      tags: input.tags ?? {},
      ...(input.description === undefined ? {} : { description: input.description }),
    };
    if (!hasFiniteNumbers(input.artifact)) {
      throw new UsageError(
        `model version for "${name}" has non-finite coefficients (training diverged); it is not stored`,
      );
    }
    const checked = modelVersionSchema.safeParse({ ...draft, version: 1 });
    if (!checked.success) {
      throw new UsageError(`model version for "${name}" is not valid: ${checked.error.message}`, {
        cause: checked.error,
      });
    }
    let version = (await this.latestVersionNumber(name)) + 1;
    for (let probe = 0; probe < MAX_VERSION_PROBES; probe += 1, version += 1) {
      const doc: ModelVersion = { ...checked.data, version };
      try {
        await writeDocument(this.store, this.keys.version(name, version), doc, { ifNoneMatch: '*' });
      } catch (error) {
        if (error instanceof PreconditionFailedError) continue;
        throw error;
      }
      await this.publish(
        RegistryEventType.ModelVersionCreated,
        `version ${version} of "${name}" was stored`,
        {
          name,
          version,
          dataset: doc.lineage.dataset,
          datasetVersion: doc.lineage.datasetVersion,
        },
      );
      return doc;
    }
    throw new InfrastructureError(
      `could not claim a version number for "${name}" after ${MAX_VERSION_PROBES} tries`,
    );
  }

  /** One version; `NotFoundError` when it does not exist. */
  public async getVersion(name: string, version: number): Promise<ModelVersion> {
    assertModelName(name);
    assertVersionNumber(version);
    const key = this.keys.version(name, version);
    const found = await readDocument(this.store, key, modelVersionSchema);
    if (found === undefined) throw new NotFoundError(`model "${name}" has no version ${version}`);
    if (found.doc.name !== name || found.doc.version !== version) {
      throw new InfrastructureError(
        `registry document "${key}" holds ${found.doc.name} v${found.doc.version}`,
      );
    }
    return found.doc;
  }

  /** The newest version, or `undefined` when the model has none. */
  public async latestVersion(name: string): Promise<ModelVersion | undefined> {
    assertModelName(name);
    const latest = await this.latestVersionNumber(name);
    return latest === 0 ? undefined : this.getVersion(name, latest);
  }

  /** Version numbers of a model, ascending (empty when the model does not exist). */
  public async listVersions(name: string): Promise<number[]> {
    assertModelName(name);
    const objects = await this.store.list(this.keys.versionsPrefix(name));
    const versions = objects.map((o) => versionFromKey(o.key)).filter((v): v is number => v !== undefined);
    return versions.sort((a, b) => a - b);
  }

  /** Names of all models that have at least one version, sorted. */
  public async listModels(): Promise<string[]> {
    const objects = await this.store.list(this.keys.models);
    const names = new Set<string>();
    for (const { key } of objects) {
      const match = /^([^/]+)\/versions\/[0-9]+\.json$/.exec(key.slice(this.keys.models.length));
      if (match?.[1] !== undefined) names.add(match[1]);
    }
    return [...names].sort();
  }

  /** Resolves `name` / `name@latest` (newest), `name@3`, or `name@champion`; `NotFoundError` when absent. */
  public async resolve(ref: string): Promise<ModelVersion> {
    const { name, version } = await this.resolveVersion(ref);
    return this.getVersion(name, version);
  }

  /**
   * THE resolver of a model reference: which version `name` / `name@latest` (the newest),
   * `name@3` or `name@champion` (an alias, read now) points at. `UsageError` for a malformed
   * reference, `NotFoundError` for an alias that is not set or a model with no versions; a
   * version number is returned as given (reading it says whether it exists).
   */
  public async resolveVersion(ref: string): Promise<{ name: string; version: number }> {
    const parsed = parseModelRef(ref);
    const { name } = parsed;
    switch (parsed.kind) {
      case 'version':
        return { name, version: parsed.version };
      case 'alias': {
        const version = await this.getAlias(name, parsed.alias);
        if (version === undefined)
          throw new NotFoundError(`model "${name}" has no alias "${parsed.alias}" (resolving "${ref}")`);
        return { name, version };
      }
      case 'latest': {
        const version = await this.latestVersionNumber(name);
        if (version === 0) throw new NotFoundError(`model "${name}" has no versions`);
        return { name, version };
      }
    }
  }

  /** The version an alias points at now, or `undefined`. */
  public async getAlias(name: string, alias: string): Promise<number | undefined> {
    return (await this.getAliases(name))[alias];
  }

  /** All current aliases of a model (alias → version). */
  public async getAliases(name: string): Promise<Record<string, number>> {
    return (await this.readAliases(name))?.doc.aliases ?? {};
  }

  /**
   * Points `alias` at `version`, recording the move. A no-op (`moved: false`, no event) when the
   * alias already points there, so a redelivered promotion is harmless.
   */
  public async setAlias(
    name: string,
    alias: string,
    version: number,
    options: MoveOptions,
  ): Promise<AliasMoveResult> {
    assertAlias(alias);
    const target = await this.getVersion(name, version);
    if (!hasFiniteNumbers(target.artifact)) {
      throw new UsageError(
        `${name}@${version} has non-finite coefficients (its training diverged); it cannot be given an alias`,
      );
    }
    return this.moveAlias(name, alias, options, (current) => {
      if (current === version) return 'unchanged';
      this.checkExpected(name, alias, current, options.expectedVersion);
      return { to: version };
    });
  }

  /** Removes `alias`, recording the move (`to: null`); `moved: false` when it was not set. */
  public async deleteAlias(name: string, alias: string, options: MoveOptions): Promise<AliasMoveResult> {
    assertAlias(alias);
    assertModelName(name);
    return this.moveAlias(name, alias, options, (current) => {
      if (current === null) return 'unchanged';
      this.checkExpected(name, alias, current, options.expectedVersion);
      return { to: null };
    });
  }

  /**
   * Moves `alias` back to where it pointed before its last move (its `from`), recorded like any
   * move. Rolling back twice therefore toggles. `UsageError` when the last move created the alias.
   */
  public async rollback(name: string, alias: string, options: MoveOptions): Promise<AliasMoveResult> {
    assertAlias(alias);
    assertModelName(name);
    return this.moveAlias(name, alias, options, (current, history) => {
      const last = lastMove(history, alias);
      if (last === undefined)
        throw new NotFoundError(`alias "${alias}" of model "${name}" has never been set`);
      if (last.from === null) {
        throw new UsageError(
          `alias "${alias}" of model "${name}" had no version before its last move; use deleteAlias to remove it`,
        );
      }
      this.checkExpected(name, alias, current, options.expectedVersion);
      return { to: last.from };
    });
  }

  /** Which version `alias` pointed at instant `time` (`undefined` when unset then). */
  public async aliasAt(name: string, alias: string, time: Date): Promise<number | undefined> {
    return (await this.aliasesAt(name, time))[alias];
  }

  /** Every alias of a model as it stood at instant `time`. */
  public async aliasesAt(name: string, time: Date): Promise<Record<string, number>> {
    return aliasesAt((await this.readAliases(name))?.doc.history ?? [], time);
  }

  /** Alias moves, oldest first; filter by alias and/or to moves made at or before `at`. */
  public async history(name: string, query: HistoryQuery = {}): Promise<AliasMove[]> {
    return filterHistory((await this.readAliases(name))?.doc.history ?? [], query);
  }

  /** A version's current tags: creation tags, or the edited set in `tags.json` once edited. */
  public async getTags(name: string, version: number): Promise<Record<string, string>> {
    const created = await this.getVersion(name, version);
    const edited = await readDocument(this.store, this.keys.tags(name), tagDocumentSchema);
    return edited?.doc.versions[String(version)] ?? created.tags;
  }

  /** Sets one tag on a version (versions are immutable; tags live in a separate CAS-updated document). */
  public async setVersionTag(
    name: string,
    version: number,
    key: string,
    value: string,
  ): Promise<Record<string, string>> {
    if (key.length === 0 || key.length > 250)
      throw new UsageError(`tag key "${key}" must have 1-250 characters`);
    return this.editTags(name, version, (tags) => ({ ...tags, [key]: value }));
  }

  /** Removes one tag from a version (no-op when absent). */
  public async deleteVersionTag(name: string, version: number, key: string): Promise<Record<string, string>> {
    return this.editTags(name, version, (tags) =>
      Object.fromEntries(Object.entries(tags).filter(([k]) => k !== key)),
    );
  }

  private async editTags(
    name: string,
    version: number,
    edit: (tags: Record<string, string>) => Record<string, string>,
  ): Promise<Record<string, string>> {
    const created = await this.getVersion(name, version);
    const key = this.keys.tags(name);
    return retryOnConflict(
      key,
      async () => {
        const current = await readDocument(this.store, key, tagDocumentSchema);
        const base: TagDocument = current?.doc ?? { v: 1, name, versions: {} };
        const tags = edit(base.versions[String(version)] ?? created.tags);
        const doc: TagDocument = { ...base, versions: { ...base.versions, [String(version)]: tags } };
        await writeDocument(this.store, key, doc, casCondition(current));
        return tags;
      },
      this.retry,
      { random: this.random, sleep: this.sleep },
    );
  }

  private checkExpected(
    name: string,
    alias: string,
    current: number | null,
    expected: number | null | undefined,
  ): void {
    if (expected !== undefined && current !== expected)
      throw new AliasConflictError(name, alias, expected, current);
  }

  /** Read-decide-write loop on `aliases.json`; `decide` sees a fresh read on every attempt. */
  private async moveAlias(
    name: string,
    alias: string,
    options: MoveOptions,
    decide: (current: number | null, history: readonly AliasMove[]) => MoveDecision,
  ): Promise<AliasMoveResult> {
    const key = this.keys.aliases(name);
    const result = await retryOnConflict(
      key,
      async (): Promise<AliasMoveResult> => {
        const read = await this.readAliases(name);
        const base: AliasDocument = read?.doc ?? { v: 1, name, aliases: {}, history: [] };
        const current = base.aliases[alias] ?? null;
        const decision = decide(current, base.history);
        if (decision === 'unchanged') return { moved: false, version: current };
        const move: AliasMove = {
          alias,
          from: current,
          to: decision.to,
          at: nextMoveTime(base.history, this.now()),
          reason: options.reason,
          ...(options.actor === undefined ? {} : { actor: options.actor }),
        };
        const aliases = { ...base.aliases };
        if (decision.to === null) delete aliases[alias];
        else aliases[alias] = decision.to;
        const doc: AliasDocument = { ...base, aliases, history: [...base.history, move] };
        await writeDocument(this.store, key, doc, casCondition(read));
        return { moved: true, move };
      },
      this.retry,
      { random: this.random, sleep: this.sleep },
    );
    if (result.moved) {
      const { move } = result;
      await this.publish(RegistryEventType.AliasMoved, `alias "${alias}" of "${name}" was moved`, {
        name,
        alias,
        from: move.from,
        to: move.to,
        reason: move.reason,
      });
    }
    return result;
  }

  private async readAliases(name: string): Promise<Versioned<AliasDocument> | undefined> {
    assertModelName(name);
    return readDocument(this.store, this.keys.aliases(name), aliasDocumentSchema);
  }

  private async latestVersionNumber(name: string): Promise<number> {
    const versions = await this.listVersions(name);
    return versions[versions.length - 1] ?? 0;
  }

  /** The write already happened; a failed publish says so, so the caller does not redo the write blindly. */
  private async publish(type: string, what: string, detail: Record<string, unknown>): Promise<void> {
    if (this.events === undefined) return;
    try {
      await this.events.publish({ type, time: this.now().toISOString(), detail });
    } catch (error) {
      throw new InfrastructureError(`${what}, but publishing the ${type} event failed`, { cause: error });
    }
  }
}
