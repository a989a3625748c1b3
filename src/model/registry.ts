// Model registry on PostgreSQL: immutable versions (artifact + sha256 + metrics + lineage), movable aliases
// (champion / shadow / previous) and an append-only alias history. Every alias move is one transaction that
// updates the alias and appends history, serialized per model by an advisory lock, so concurrent promotions cannot
// interleave. Operations are idempotent where an activity retry could repeat them.

import { and, desc, eq, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import {
  driftReport,
  modelAlias,
  modelAliasHistory,
  modelVersion,
  type ModelAlias,
  type ModelLineage,
} from '../db/schema/models';
import type { AliasSource, AliasState, ModelArtifact } from './alias-watcher';
import type { DriftReport, ReferenceProfile } from './drift';
import { ModelRegistryError } from './errors';
import type { ModelMetrics } from './metrics';
import { sha256Hex } from './onnx-export';

export type { ModelAlias, ModelLineage } from '../db/schema/models';

type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];
/** A database handle or an open transaction: registry reads compose into callers' transactions. */
export type DbExecutor = Db | Tx;

export interface RegisterVersionInput {
  modelName: string;
  /** Explicit version label; default nextVersion(modelName), e.g. 'fraud-v3'. */
  version?: string;
  family: string;
  artifact: Uint8Array;
  /** If given, must match the artifact (guards against corruption in transit). */
  sha256?: string;
  featureSpecVersion: string;
  metrics: ModelMetrics;
  lineage: ModelLineage;
  /** Training-set profile for later drift checks (buildReferenceProfile). */
  referenceProfile?: ReferenceProfile;
}

export interface ModelVersionSummary {
  id: number;
  modelName: string;
  version: string;
  family: string;
  sha256: string;
  featureSpecVersion: string;
  metrics: ModelMetrics;
  lineage: ModelLineage;
  createdAt: Date;
  sizeBytes: number;
}

export interface ModelVersionRecord extends ModelVersionSummary {
  artifact: Uint8Array;
}

export interface ModelAliases {
  champion: string | null;
  shadow: string | null;
  previous: string | null;
}

export interface AliasChange {
  alias: ModelAlias;
  from: string | null;
  to: string | null;
}

export interface AliasMoveResult {
  /** False when the registry was already in the requested state (idempotent repeat). */
  changed: boolean;
  changes: AliasChange[];
  aliases: ModelAliases;
}

export interface AliasHistoryEntry extends AliasChange {
  id: number;
  modelName: string;
  actor: string;
  reason: string;
  at: Date;
}

const VERSION_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

const summaryColumns = {
  id: modelVersion.id,
  modelName: modelVersion.modelName,
  version: modelVersion.version,
  family: modelVersion.family,
  sha256: modelVersion.sha256,
  featureSpecVersion: modelVersion.featureSpecVersion,
  metrics: modelVersion.metrics,
  lineage: modelVersion.lineage,
  createdAt: modelVersion.createdAt,
  sizeBytes: sql<number>`octet_length(${modelVersion.artifact})`.mapWith(Number),
};

function isUniqueViolation(err: unknown): boolean {
  for (let e: unknown = err; e && typeof e === 'object'; e = (e as { cause?: unknown }).cause) {
    if ((e as { code?: unknown }).code === '23505') return true;
  }
  return false;
}

/** `<model>-v<n+1>` where n is the highest numbered version of that model so far. */
export async function nextVersion(db: DbExecutor, modelName: string): Promise<string> {
  const rows = await db.select({ version: modelVersion.version }).from(modelVersion).where(eq(modelVersion.modelName, modelName));
  const pattern = new RegExp(`^${escapeRegExp(modelName)}-v(\\d+)$`);
  let max = 0;
  for (const r of rows) {
    const m = pattern.exec(r.version);
    if (m) max = Math.max(max, Number(m[1]));
  }
  return `${modelName}-v${max + 1}`;
}

/**
 * Stores a new immutable version. Idempotent on content: registering bytes identical to an existing version of the
 * same model returns that version (an activity retry must not mint fraud-v4 and fraud-v5 for one training run).
 */
export async function registerVersion(db: Db, input: RegisterVersionInput): Promise<ModelVersionSummary> {
  const sha256 = sha256Hex(input.artifact);
  if (input.sha256 !== undefined && input.sha256.toLowerCase() !== sha256) {
    throw new ModelRegistryError('MODEL_VERSION_INVALID', `artifact sha256 ${sha256} does not match declared ${input.sha256}`);
  }
  if (input.version !== undefined && !VERSION_PATTERN.test(input.version)) {
    throw new ModelRegistryError('MODEL_VERSION_INVALID', `version label ${JSON.stringify(input.version)} is not allowed`);
  }
  for (let attempt = 0; ; attempt++) {
    const [same] = await db
      .select(summaryColumns)
      .from(modelVersion)
      .where(and(eq(modelVersion.modelName, input.modelName), eq(modelVersion.sha256, sha256)))
      .limit(1);
    if (same && (input.version === undefined || input.version === same.version)) return same;
    const version = input.version ?? (await nextVersion(db, input.modelName));
    try {
      const [row] = await db
        .insert(modelVersion)
        .values({
          modelName: input.modelName,
          version,
          family: input.family,
          artifact: input.artifact,
          sha256,
          featureSpecVersion: input.featureSpecVersion,
          metrics: input.metrics,
          lineage: input.lineage,
          referenceProfile: input.referenceProfile ?? null,
        })
        .returning(summaryColumns);
      return row;
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      if (input.version !== undefined) {
        throw new ModelRegistryError('MODEL_VERSION_EXISTS', `${input.modelName}@${version} already exists with other content`);
      }
      // Another trainer took the number first; pick the next one.
      if (attempt >= 5) throw new ModelRegistryError('MODEL_VERSION_EXISTS', `could not allocate a version for ${input.modelName}`);
    }
  }
}

export async function getVersion(db: DbExecutor, modelName: string, version: string): Promise<ModelVersionRecord | null> {
  const [row] = await db
    .select({ ...summaryColumns, artifact: modelVersion.artifact })
    .from(modelVersion)
    .where(and(eq(modelVersion.modelName, modelName), eq(modelVersion.version, version)))
    .limit(1);
  return row ?? null;
}

/** The drift reference stored with a version; null when the version has none or does not exist. */
export async function getReferenceProfile(db: DbExecutor, modelName: string, version: string): Promise<ReferenceProfile | null> {
  const [row] = await db
    .select({ profile: modelVersion.referenceProfile })
    .from(modelVersion)
    .where(and(eq(modelVersion.modelName, modelName), eq(modelVersion.version, version)))
    .limit(1);
  return row?.profile ?? null;
}

/** Versions without artifacts, newest first. */
export async function listVersions(db: DbExecutor, modelName: string, options: { limit?: number } = {}): Promise<ModelVersionSummary[]> {
  return db
    .select(summaryColumns)
    .from(modelVersion)
    .where(eq(modelVersion.modelName, modelName))
    .orderBy(desc(modelVersion.id))
    .limit(options.limit ?? 100);
}

export async function getAliases(db: DbExecutor, modelName: string): Promise<ModelAliases> {
  const rows = await db.select({ alias: modelAlias.alias, version: modelAlias.version }).from(modelAlias).where(eq(modelAlias.modelName, modelName));
  const out: ModelAliases = { champion: null, shadow: null, previous: null };
  for (const r of rows) out[r.alias] = r.version;
  return out;
}

export async function getAliasHistory(db: DbExecutor, modelName: string, options: { limit?: number } = {}): Promise<AliasHistoryEntry[]> {
  const rows = await db
    .select()
    .from(modelAliasHistory)
    .where(eq(modelAliasHistory.modelName, modelName))
    .orderBy(desc(modelAliasHistory.id))
    .limit(options.limit ?? 50);
  return rows.map((r) => ({ id: r.id, modelName: r.modelName, alias: r.alias, from: r.fromVersion, to: r.toVersion, actor: r.actor, reason: r.reason, at: r.at }));
}

// Serializes alias changes of one model across all processes for the rest of the transaction.
async function lockModel(tx: Tx, modelName: string): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`model_alias:${modelName}`}))`);
}

async function requireVersion(tx: Tx, modelName: string, version: string): Promise<void> {
  const [row] = await tx
    .select({ id: modelVersion.id })
    .from(modelVersion)
    .where(and(eq(modelVersion.modelName, modelName), eq(modelVersion.version, version)))
    .limit(1);
  if (!row) throw new ModelRegistryError('MODEL_VERSION_NOT_FOUND', `${modelName}@${version} is not registered`);
}

async function moveAlias(tx: Tx, modelName: string, alias: ModelAlias, from: string | null, to: string | null, actor: string, reason: string): Promise<AliasChange> {
  if (to === null) {
    await tx.delete(modelAlias).where(and(eq(modelAlias.modelName, modelName), eq(modelAlias.alias, alias)));
  } else {
    await tx
      .insert(modelAlias)
      .values({ modelName, alias, version: to })
      .onConflictDoUpdate({ target: [modelAlias.modelName, modelAlias.alias], set: { version: to, updatedAt: sql`now()` } });
  }
  await tx.insert(modelAliasHistory).values({ modelName, alias, fromVersion: from, toVersion: to, actor, reason });
  return { alias, from, to };
}

export interface SetAliasInput {
  modelName: string;
  alias: ModelAlias;
  /** null clears the alias. */
  version: string | null;
  actor: string;
  reason: string;
}

/** Points one alias at a version (or clears it) and records it, in one transaction. No-op if already so. */
export async function setAlias(db: Db, input: SetAliasInput): Promise<AliasMoveResult> {
  return db.transaction(async (tx) => {
    await lockModel(tx, input.modelName);
    const current = await getAliases(tx, input.modelName);
    if (current[input.alias] === input.version) return { changed: false, changes: [], aliases: current };
    if (input.version !== null) await requireVersion(tx, input.modelName, input.version);
    const change = await moveAlias(tx, input.modelName, input.alias, current[input.alias], input.version, input.actor, input.reason);
    return { changed: true, changes: [change], aliases: { ...current, [input.alias]: input.version } };
  });
}

/**
 * champion := version, previous := old champion; if the version was the shadow, the shadow alias is cleared (it now
 * decides). One transaction. Promoting the current champion again is a no-op.
 */
export async function promote(db: Db, modelName: string, version: string, actor: string, reason: string): Promise<AliasMoveResult> {
  return db.transaction(async (tx) => {
    await lockModel(tx, modelName);
    const current = await getAliases(tx, modelName);
    if (current.champion === version) return { changed: false, changes: [], aliases: current };
    await requireVersion(tx, modelName, version);
    const changes: AliasChange[] = [];
    const next: ModelAliases = { ...current, champion: version };
    if (current.champion !== null) {
      changes.push(await moveAlias(tx, modelName, 'previous', current.previous, current.champion, actor, reason));
      next.previous = current.champion;
    }
    changes.push(await moveAlias(tx, modelName, 'champion', current.champion, version, actor, reason));
    if (current.shadow === version) {
      changes.push(await moveAlias(tx, modelName, 'shadow', version, null, actor, `promoted: ${reason}`));
      next.shadow = null;
    }
    return { changed: true, changes, aliases: next };
  });
}

/**
 * Swaps champion and previous. Pass `expectedChampion` (the version judged bad) to make a retried rollback safe:
 * if the champion is no longer that version, nothing happens.
 */
export async function rollback(db: Db, modelName: string, actor: string, reason: string, options: { expectedChampion?: string } = {}): Promise<AliasMoveResult> {
  return db.transaction(async (tx) => {
    await lockModel(tx, modelName);
    const current = await getAliases(tx, modelName);
    if (options.expectedChampion !== undefined && current.champion !== options.expectedChampion) {
      return { changed: false, changes: [], aliases: current };
    }
    if (current.champion === null) throw new ModelRegistryError('MODEL_NO_CHAMPION', `${modelName} has no champion to roll back`);
    if (current.previous === null) throw new ModelRegistryError('MODEL_NO_PREVIOUS', `${modelName} has no previous champion to roll back to`);
    const changes = [
      await moveAlias(tx, modelName, 'champion', current.champion, current.previous, actor, reason),
      await moveAlias(tx, modelName, 'previous', current.previous, current.champion, actor, reason),
    ];
    return { changed: true, changes, aliases: { ...current, champion: current.previous, previous: current.champion } };
  });
}

/** AliasSource for the runtime's alias watcher, reading this registry. */
export function createRegistryAliasSource(db: Db, modelName: string): AliasSource {
  return {
    async poll(): Promise<AliasState> {
      const a = await getAliases(db, modelName);
      return { champion: a.champion, shadow: a.shadow };
    },
    async load(version: string): Promise<ModelArtifact> {
      const v = await getVersion(db, modelName, version);
      if (!v) throw new ModelRegistryError('MODEL_VERSION_NOT_FOUND', `${modelName}@${version} is not registered`);
      return { bytes: v.artifact, sha256: v.sha256 };
    },
    async sha256Of(version: string): Promise<string | null> {
      const [row] = await db
        .select({ sha256: modelVersion.sha256 })
        .from(modelVersion)
        .where(and(eq(modelVersion.modelName, modelName), eq(modelVersion.version, version)))
        .limit(1);
      return row?.sha256 ?? null;
    },
  };
}

export interface StoredDriftReport {
  id: number;
  modelName: string;
  championVersion: string | null;
  report: DriftReport;
  datasetDrift: boolean;
  createdAt: Date;
}

export async function recordDriftReport(db: DbExecutor, input: { modelName: string; championVersion: string | null; report: DriftReport }): Promise<StoredDriftReport> {
  const [row] = await db
    .insert(driftReport)
    .values({ modelName: input.modelName, championVersion: input.championVersion, report: input.report, datasetDrift: input.report.datasetDrift })
    .returning();
  return row;
}

export async function listDriftReports(db: DbExecutor, modelName: string, options: { limit?: number } = {}): Promise<StoredDriftReport[]> {
  return db.select().from(driftReport).where(eq(driftReport.modelName, modelName)).orderBy(desc(driftReport.id)).limit(options.limit ?? 20);
}
