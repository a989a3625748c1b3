import { eq, inArray } from 'drizzle-orm';
import { createDb, type DbHandle } from '../../src/db/client';
import { driftReport, modelAlias, modelAliasHistory, modelVersion } from '../../src/db/schema/models';
import { buildReferenceProfile, type DriftReport } from '../../src/model/drift';
import { ModelRegistryError } from '../../src/model/errors';
import { evaluateScores } from '../../src/model/metrics';
import { exportOnnx, sha256Hex } from '../../src/model/onnx-export';
import {
  createRegistryAliasSource,
  getAliases,
  getAliasHistory,
  getReferenceProfile,
  getVersion,
  listDriftReports,
  listVersions,
  nextVersion,
  promote,
  recordDriftReport,
  registerVersion,
  rollback,
  setAlias,
  type ModelLineage,
} from '../../src/model/registry';
import { generateTrainingSet } from '../../src/model/synthetic';
import { predictProbability, trainLogisticRegression } from '../../src/model/train';
import { uniqueName } from '../helpers/stack-env';

// Real PostgreSQL from the integration globalSetup, migrations applied. Each run uses its own model names and
// deletes its rows afterwards.
const databaseUrl = process.env.DATABASE_URL;
if (!databaseUrl) throw new Error('DATABASE_URL is not set: run under the jest integration project (globalSetup).');

const set = generateTrainingSet({ rows: 3_000, seed: 61 });
function artifactFor(modelName: string, label: string, l2: number) {
  const model = trainLogisticRegression(set.X, set.y, { l2 });
  return {
    ...exportOnnx(model, { modelName, modelVersion: label }),
    metrics: evaluateScores(predictProbability(model, set.X), set.y),
  };
}

function lineage(rows: number): ModelLineage {
  return {
    datasetHash: 'a'.repeat(64),
    rowCount: rows,
    labelTimeRange: { from: '2025-01-01T00:00:00.000Z', to: '2025-01-02T00:00:00.000Z' },
    kafkaOffsetRange: [{ topic: 'payments.labeled', partition: 0, from: '0', to: String(rows - 1) }],
    codeVersion: 'test',
    trainedAt: '2025-01-02T00:00:00.000Z',
    params: { l2: 1e-4 },
    source: 'synthetic:seed=61',
  };
}

describe('model registry (PostgreSQL)', () => {
  let handle: DbHandle;
  const names: string[] = [];
  const newModelName = (): string => {
    const name = uniqueName('fraud-it');
    names.push(name);
    return name;
  };

  beforeAll(() => {
    handle = createDb(databaseUrl, { max: 8 });
  });
  afterAll(async () => {
    if (names.length > 0) {
      await handle.db.delete(modelAlias).where(inArray(modelAlias.modelName, names));
      await handle.db.delete(modelAliasHistory).where(inArray(modelAliasHistory.modelName, names));
      await handle.db.delete(driftReport).where(inArray(driftReport.modelName, names));
      await handle.db.delete(modelVersion).where(inArray(modelVersion.modelName, names));
    }
    await handle.close();
  });

  it('registers immutable versions with artifact, sha256, metrics and lineage; numbering and idempotency', async () => {
    const db = handle.db;
    const name = newModelName();
    expect(await nextVersion(db, name)).toBe(`${name}-v1`);
    const a1 = artifactFor(name, `${name}-v1`, 1e-4);
    const a2 = artifactFor(name, `${name}-v2`, 1e-2);

    const v1 = await registerVersion(db, { modelName: name, family: 'logreg', artifact: a1.bytes, sha256: a1.sha256, featureSpecVersion: 'pf-v1', metrics: a1.metrics, lineage: lineage(3000) });
    expect(v1).toMatchObject({ modelName: name, version: `${name}-v1`, family: 'logreg', sha256: a1.sha256, featureSpecVersion: 'pf-v1', sizeBytes: a1.bytes.length });
    expect(v1.metrics.rocAuc).toBeCloseTo(a1.metrics.rocAuc, 12);
    expect(v1.lineage.kafkaOffsetRange?.[0]).toEqual({ topic: 'payments.labeled', partition: 0, from: '0', to: '2999' });
    expect(v1.createdAt).toBeInstanceOf(Date);

    // A retried registration of the same bytes returns the existing version instead of minting a new one.
    const again = await registerVersion(db, { modelName: name, family: 'logreg', artifact: a1.bytes, featureSpecVersion: 'pf-v1', metrics: a1.metrics, lineage: lineage(3000) });
    expect(again.version).toBe(`${name}-v1`);
    expect(again.id).toBe(v1.id);

    const profile = buildReferenceProfile(set.X);
    const v2 = await registerVersion(db, { modelName: name, family: 'logreg', artifact: a2.bytes, featureSpecVersion: 'pf-v1', metrics: a2.metrics, lineage: lineage(3000), referenceProfile: profile });
    expect(v2.version).toBe(`${name}-v2`);
    expect(v2).not.toHaveProperty('referenceProfile'); // large; only on request
    expect(await getReferenceProfile(db, name, `${name}-v2`)).toEqual(profile);
    expect(await getReferenceProfile(db, name, `${name}-v1`)).toBeNull();
    expect(await nextVersion(db, name)).toBe(`${name}-v3`);

    await expect(
      registerVersion(db, { modelName: name, version: `${name}-v1`, family: 'logreg', artifact: a2.bytes, featureSpecVersion: 'pf-v1', metrics: a2.metrics, lineage: lineage(1) }),
    ).rejects.toMatchObject({ code: 'MODEL_VERSION_EXISTS' });
    await expect(
      registerVersion(db, { modelName: name, family: 'logreg', artifact: a2.bytes, sha256: a1.sha256, featureSpecVersion: 'pf-v1', metrics: a2.metrics, lineage: lineage(1) }),
    ).rejects.toBeInstanceOf(ModelRegistryError);

    const stored = await getVersion(db, name, `${name}-v1`);
    expect(stored).not.toBeNull();
    expect(stored!.artifact).toBeInstanceOf(Uint8Array);
    expect(Buffer.from(stored!.artifact).equals(Buffer.from(a1.bytes))).toBe(true);
    expect(sha256Hex(stored!.artifact)).toBe(a1.sha256);
    expect(await getVersion(db, name, `${name}-v9`)).toBeNull();

    const listed = await listVersions(db, name);
    expect(listed.map((v) => v.version)).toEqual([`${name}-v2`, `${name}-v1`]);
    expect(listed[0]).not.toHaveProperty('artifact');
  });

  it('round-trips arbitrary bytes through bytea, zeros and high bytes included', async () => {
    const name = newModelName();
    const bytes = Uint8Array.from({ length: 4096 }, (_, i) => (i % 7 === 0 ? 0 : (i * 131) & 0xff));
    await registerVersion(handle.db, { modelName: name, version: `${name}-raw`, family: 'logreg', artifact: bytes, featureSpecVersion: 'pf-v1', metrics: evaluateScores([0.1, 0.9], [0, 1]), lineage: lineage(2) });
    const back = await getVersion(handle.db, name, `${name}-raw`);
    expect(Array.from(back!.artifact)).toEqual(Array.from(bytes));
  });

  it('promotes, keeps previous, clears a promoted shadow, rolls back, and records every move in one transaction', async () => {
    const db = handle.db;
    const name = newModelName();
    const versions: string[] = [];
    for (const [i, l2] of [1e-4, 1e-2, 1e-1].entries()) {
      const a = artifactFor(name, `${name}-v${i + 1}`, l2);
      versions.push((await registerVersion(db, { modelName: name, family: 'logreg', artifact: a.bytes, featureSpecVersion: 'pf-v1', metrics: a.metrics, lineage: lineage(3000) })).version);
    }
    const [v1, v2, v3] = versions;
    expect(await getAliases(db, name)).toEqual({ champion: null, shadow: null, previous: null });

    expect(await promote(db, name, v1, 'alice', 'first model')).toMatchObject({ changed: true, aliases: { champion: v1, previous: null } });
    const second = await promote(db, name, v2, 'bob', 'better holdout AUC');
    expect(second.aliases).toEqual({ champion: v2, previous: v1, shadow: null });
    expect(second.changes).toEqual([
      { alias: 'previous', from: null, to: v1 },
      { alias: 'champion', from: v1, to: v2 },
    ]);
    // Idempotent: an activity retry of the same promotion changes nothing and writes no history.
    const historyBefore = (await getAliasHistory(db, name)).length;
    expect(await promote(db, name, v2, 'bob', 'retry')).toMatchObject({ changed: false });
    expect(await getAliasHistory(db, name)).toHaveLength(historyBefore);

    await setAlias(db, { modelName: name, alias: 'shadow', version: v3, actor: 'learning-loop', reason: 'challenger in shadow' });
    expect((await getAliases(db, name)).shadow).toBe(v3);
    const promoted = await promote(db, name, v3, 'carol', 'approved');
    expect(promoted.aliases).toEqual({ champion: v3, previous: v2, shadow: null });
    expect(await getAliases(db, name)).toEqual({ champion: v3, previous: v2, shadow: null });

    const rolled = await rollback(db, name, 'watchdog', 'post-promotion regression', { expectedChampion: v3 });
    expect(rolled.aliases).toEqual({ champion: v2, previous: v3, shadow: null });
    // A retried rollback for the same bad version is a no-op instead of flipping back.
    expect(await rollback(db, name, 'watchdog', 'retry', { expectedChampion: v3 })).toMatchObject({ changed: false });
    expect(await getAliases(db, name)).toEqual({ champion: v2, previous: v3, shadow: null });

    const history = await getAliasHistory(db, name);
    expect(history.map((h) => [h.alias, h.from, h.to, h.actor])).toEqual([
      ['previous', v2, v3, 'watchdog'],
      ['champion', v3, v2, 'watchdog'],
      ['shadow', v3, null, 'carol'],
      ['champion', v2, v3, 'carol'],
      ['previous', v1, v2, 'carol'],
      ['shadow', null, v3, 'learning-loop'],
      ['champion', v1, v2, 'bob'],
      ['previous', null, v1, 'bob'],
      ['champion', null, v1, 'alice'],
    ]);
    expect(history.every((h) => h.at instanceof Date && h.reason.length > 0)).toBe(true);
  });

  it('refuses unknown versions and impossible rollbacks without changing anything', async () => {
    const db = handle.db;
    const name = newModelName();
    await expect(rollback(db, name, 'x', 'nothing yet')).rejects.toMatchObject({ code: 'MODEL_NO_CHAMPION' });
    const a = artifactFor(name, `${name}-v1`, 1e-4);
    const v1 = (await registerVersion(db, { modelName: name, family: 'logreg', artifact: a.bytes, featureSpecVersion: 'pf-v1', metrics: a.metrics, lineage: lineage(3000) })).version;
    await promote(db, name, v1, 'alice', 'first');
    await expect(rollback(db, name, 'x', 'no previous')).rejects.toMatchObject({ code: 'MODEL_NO_PREVIOUS' });
    await expect(promote(db, name, `${name}-v404`, 'x', 'typo')).rejects.toMatchObject({ code: 'MODEL_VERSION_NOT_FOUND' });
    await expect(setAlias(db, { modelName: name, alias: 'shadow', version: `${name}-v404`, actor: 'x', reason: 'typo' })).rejects.toMatchObject({
      code: 'MODEL_VERSION_NOT_FOUND',
    });
    expect(await getAliases(db, name)).toEqual({ champion: v1, previous: null, shadow: null });
    expect(await getAliasHistory(db, name)).toHaveLength(1);
  });

  it('serializes concurrent promotions: the history stays one consistent chain', async () => {
    const db = handle.db;
    const name = newModelName();
    const versions: string[] = [];
    for (const [i, l2] of [1e-4, 1e-3, 1e-2, 1e-1].entries()) {
      const a = artifactFor(name, `${name}-v${i + 1}`, l2);
      versions.push((await registerVersion(db, { modelName: name, family: 'logreg', artifact: a.bytes, featureSpecVersion: 'pf-v1', metrics: a.metrics, lineage: lineage(3000) })).version);
    }
    await Promise.all(Array.from({ length: 12 }, (_, i) => promote(db, name, versions[i % versions.length], `actor-${i}`, 'race')));
    const champions = (await getAliasHistory(db, name, { limit: 100 })).filter((h) => h.alias === 'champion').reverse();
    expect(champions[0].from).toBeNull();
    for (let i = 1; i < champions.length; i++) expect(champions[i].from).toBe(champions[i - 1].to);
    const aliases = await getAliases(db, name);
    expect(aliases.champion).toBe(champions[champions.length - 1].to);
    if (champions.length > 1) expect(aliases.previous).toBe(champions[champions.length - 1].from);
  });

  it('is an AliasSource for the runtime: aliases by poll, verified artifacts by load', async () => {
    const db = handle.db;
    const name = newModelName();
    const a = artifactFor(name, `${name}-v1`, 1e-4);
    const b = artifactFor(name, `${name}-v2`, 1e-2);
    const v1 = (await registerVersion(db, { modelName: name, family: 'logreg', artifact: a.bytes, featureSpecVersion: 'pf-v1', metrics: a.metrics, lineage: lineage(3000) })).version;
    const v2 = (await registerVersion(db, { modelName: name, family: 'logreg', artifact: b.bytes, featureSpecVersion: 'pf-v1', metrics: b.metrics, lineage: lineage(3000) })).version;
    const source = createRegistryAliasSource(db, name);
    expect(await source.poll()).toEqual({ champion: null, shadow: null });
    await promote(db, name, v1, 'alice', 'first');
    await setAlias(db, { modelName: name, alias: 'shadow', version: v2, actor: 'loop', reason: 'challenger' });
    expect(await source.poll()).toEqual({ champion: v1, shadow: v2 });
    const loaded = await source.load(v2);
    expect(loaded.sha256).toBe(b.sha256);
    expect(sha256Hex(loaded.bytes)).toBe(b.sha256);
    expect(await source.sha256Of!(v1)).toBe(a.sha256);
    await expect(source.load(`${name}-v404`)).rejects.toMatchObject({ code: 'MODEL_VERSION_NOT_FOUND' });
  });

  it('stores drift reports', async () => {
    const name = newModelName();
    const report: DriftReport = {
      features: [{ name: 'amount', statisticName: 'psi', statistic: 0.42, threshold: 0.1, drifted: true }],
      predictionDrift: null,
      share: 1,
      datasetDrift: true,
      rows: 5000,
      referenceRows: 30000,
      method: 'distances',
      driftShareThreshold: 0.5,
    };
    const stored = await recordDriftReport(handle.db, { modelName: name, championVersion: null, report });
    expect(stored).toMatchObject({ modelName: name, datasetDrift: true, championVersion: null });
    const listed = await listDriftReports(handle.db, name);
    expect(listed).toHaveLength(1);
    expect(listed[0].report).toEqual(report);
    const rows = await handle.db.select().from(driftReport).where(eq(driftReport.modelName, name));
    expect(rows).toHaveLength(1);
  });
});
