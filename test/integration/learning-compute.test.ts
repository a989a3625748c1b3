// The learning activities give the same answers whether their CPU-bound steps run inline or on the compute thread
// the worker uses (src/model/compute-pool.ts, reading PostgreSQL through its own pool): same training set, same
// holdout metrics, same drift reference stored, same gate metrics and drift findings.
import { ApplicationFailure } from '@temporalio/activity';
import { like } from 'drizzle-orm';
import { createLearningActivities } from '../../activities/learning.activities';
import { createDb, type DbHandle } from '../../src/db/client';
import { featureLog, label } from '../../src/db/schema';
import { FEATURE_COUNT, FEATURE_NAMES, FEATURE_SPEC_VERSION } from '../../src/features/payment-features';
import { LearningComputeThread } from '../../src/model/compute-pool';
import { buildReferenceProfile } from '../../src/model/drift';
import { createInlineLearningCompute } from '../../src/model/learning-compute';
import { evaluateScores } from '../../src/model/metrics';
import { exportOnnx } from '../../src/model/onnx-export';
import { getReferenceProfile, promote, registerVersion } from '../../src/model/registry';
import { generateTrainingSet } from '../../src/model/synthetic';
import { predictProbability, TrainingError, trainLogisticRegression } from '../../src/model/train';
import { createLogger } from '../../src/observability/logger';
import { deleteModelRows } from '../helpers/saga-rig';
import { testStackEnv, uniqueName } from '../helpers/stack-env';
import type { TrainChallengerInput } from '../../workflows/learning/types';

const stackEnv = testStackEnv();
const logger = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');
const ROWS = 1_500;
const modelName = uniqueName('fraud-it-compute');
const paymentPrefix = `${modelName}-p`;
// Event and label times in a day no other suite writes: the training set is exactly this suite's rows.
const DAY_START = Date.parse('2001-02-03T00:00:00Z');
const AS_OF = new Date(DAY_START + 86_400_000).toISOString();

describe('learning activities: inline and on the compute thread', () => {
  let db: DbHandle;
  let thread: LearningComputeThread;

  beforeAll(async () => {
    db = createDb(stackEnv.databaseUrl, { max: 4 });
    thread = new LearningComputeThread({ databaseUrl: stackEnv.databaseUrl });
    const synthetic = generateTrainingSet({ rows: ROWS, seed: 99, fraudRate: 0.05 });
    for (let start = 0; start < ROWS; start += 500) {
      const ids = Array.from({ length: Math.min(500, ROWS - start) }, (_, k) => start + k);
      await db.db.insert(featureLog).values(
        ids.map((i) => {
          const v = Array.from(synthetic.X.data.subarray(i * FEATURE_COUNT, (i + 1) * FEATURE_COUNT));
          return { paymentId: `${paymentPrefix}${i}`, featureSpecVersion: FEATURE_SPEC_VERSION, features: Object.fromEntries(FEATURE_NAMES.map((n, j) => [n, v[j]])), vector: v, eventTime: new Date(DAY_START + i * 1000) };
        }),
      );
      await db.db.insert(label).values(
        ids.map((i) => ({ paymentId: `${paymentPrefix}${i}`, label: synthetic.y[i] === 1 ? ('fraud' as const) : ('legit' as const), source: 'it', labeledAt: new Date(DAY_START + i * 1000 + 60_000), eventId: `${paymentPrefix}e${i}` })),
      );
    }
    // A champion with a drift reference, trained on other data.
    const championSet = generateTrainingSet({ rows: 3_000, seed: 98, fraudRate: 0.05 });
    const champion = trainLogisticRegression(championSet.X, championSet.y);
    const version = `${modelName}-v1`;
    const scores = predictProbability(champion, championSet.X);
    await registerVersion(db.db, {
      modelName,
      version,
      family: 'logreg',
      artifact: exportOnnx(champion, { modelName, modelVersion: version }).bytes,
      featureSpecVersion: champion.featureSpecVersion,
      metrics: evaluateScores(scores, championSet.y),
      lineage: { datasetHash: 'd'.repeat(64), rowCount: 3_000, labelTimeRange: null, codeVersion: 'it', trainedAt: new Date().toISOString(), source: 'synthetic:seed=98' },
      referenceProfile: buildReferenceProfile(championSet.X, { scores }),
    });
    await promote(db.db, modelName, version, 'it', 'champion of the compute comparison');
  });

  afterAll(async () => {
    await thread?.close();
    if (db) {
      await deleteModelRows(db.db, modelName);
      await db.db.delete(label).where(like(label.paymentId, `${paymentPrefix}%`));
      await db.db.delete(featureLog).where(like(featureLog.paymentId, `${paymentPrefix}%`));
      await db.close();
    }
  });

  it('trains, gates and checks drift with identical results', async () => {
    const inline = createLearningActivities({ db: db.db, logger, compute: createInlineLearningCompute(db.db) });
    const threaded = createLearningActivities({ db: db.db, logger, compute: thread });
    const training: TrainChallengerInput['training'] = { lookbackMs: 86_400_000, maxRows: 200_000, minRows: 500, minPositives: 10, holdoutFraction: 0.3, l2: 1e-4, classWeight: 'none' };

    const a = await inline.trainChallenger({ modelName, cycleId: 'inline', asOf: AS_OF, training });
    const b = await threaded.trainChallenger({ modelName, cycleId: 'thread', asOf: AS_OF, training });
    expect(a.status).toBe('trained');
    expect(b.status).toBe('trained');
    if (a.status !== 'trained' || b.status !== 'trained') return;
    expect(a.rows).toBe(ROWS);
    const comparable = ({ version: _v, sha256: _s, durationMs: _d, ...rest }: typeof a) => rest;
    expect(comparable(b)).toEqual(comparable(a));
    expect(b.version).not.toBe(a.version);
    // The stored drift references (computed on the thread for b) are the same.
    expect(await getReferenceProfile(db.db, modelName, b.version)).toEqual(await getReferenceProfile(db.db, modelName, a.version));

    const gate = (acts: typeof inline, challengerVersion: string) =>
      acts.evaluateHoldout({ modelName, asOf: AS_OF, challengerVersion, championVersion: `${modelName}-v1`, training });
    const gateInline = await gate(inline, a.version);
    const gateThread = await gate(threaded, b.version);
    expect(gateThread).toEqual(gateInline);
    expect(gateThread.challenger.rows).toBe(b.holdoutRows);

    // Drift over rows logged up to now (this suite's rows were just inserted; their created_at is today).
    const asOf = new Date().toISOString();
    const driftInline = await inline.checkDrift({ modelName, asOf, windowMs: 3_600_000, minRows: 100 });
    const driftThread = await threaded.checkDrift({ modelName, asOf, windowMs: 3_600_000, minRows: 100 });
    expect(driftInline.status).toBe('checked');
    if (driftInline.status !== 'checked' || driftThread.status !== 'checked') throw new Error(`drift ${driftThread.status}`);
    expect({ ...driftThread.finding, reportId: '' }).toEqual({ ...driftInline.finding, reportId: '' });
    expect(thread.busy).toBe(0);
  });

  it('a training set the trainer refuses fails the activity for good with the trainer’s code, from the thread', async () => {
    // A day of rows whose first feature is infinite: standardization cannot work, the trainer says TRAINING_INPUT_INVALID.
    const badDay = Date.parse('2001-02-05T00:00:00Z');
    const rows = Array.from({ length: 40 }, (_, i) => i);
    const vector = Array.from({ length: FEATURE_COUNT }, (_, j) => (j === 0 ? Number.POSITIVE_INFINITY : j));
    await db.db.insert(featureLog).values(
      rows.map((i) => ({ paymentId: `${paymentPrefix}bad${i}`, featureSpecVersion: FEATURE_SPEC_VERSION, features: {}, vector, eventTime: new Date(badDay + i * 1000) })),
    );
    await db.db.insert(label).values(
      rows.map((i) => ({ paymentId: `${paymentPrefix}bad${i}`, label: i % 4 === 0 ? ('fraud' as const) : ('legit' as const), source: 'it', labeledAt: new Date(badDay + i * 1000), eventId: `${paymentPrefix}bad-e${i}` })),
    );
    const threaded = createLearningActivities({ db: db.db, logger, compute: thread });
    const training: TrainChallengerInput['training'] = { lookbackMs: 86_400_000, maxRows: 1_000, minRows: 10, minPositives: 2, holdoutFraction: 0.3, l2: 1e-4, classWeight: 'none' };
    const failure = await threaded.trainChallenger({ modelName, cycleId: 'bad-rows', asOf: new Date(badDay + 86_400_000).toISOString(), training }).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ type: 'TRAINING_INPUT_INVALID', nonRetryable: true, message: expect.stringContaining('non-finite feature') });
    expect((failure as ApplicationFailure).cause).toBeInstanceOf(TrainingError);
  });
});
