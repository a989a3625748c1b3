import { readdirSync, readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { ComputeError, createInlineLearningCompute, type FitChallengerInput, type LearningCompute } from '../../../src/model/learning-compute';
import { LearningComputeThread, startComputeThread } from '../../../src/model/compute-pool';
import { DriftInputError } from '../../../src/model/drift';
import { createMatrix, selectRows, selectValues } from '../../../src/model/matrix';
import { MetricsInputError } from '../../../src/model/metrics';
import { splitTrainHoldout } from '../../../src/model/split';
import { generateTrainingSet } from '../../../src/model/synthetic';
import { TrainingError } from '../../../src/model/train';

function fitInput(rows: number, seed: number): FitChallengerInput {
  const set = generateTrainingSet({ rows, seed });
  const split = splitTrainHoldout(rows, { seed, holdoutFraction: 0.3 });
  return {
    train: { X: selectRows(set.X, split.train), y: Uint8Array.from(selectValues(set.y, split.train)) },
    holdout: { X: selectRows(set.X, split.holdout), y: Uint8Array.from(selectValues(set.y, split.holdout)) },
    l2: 1e-4,
    classWeight: { positive: 5, negative: 1 },
  };
}

/** The fit summary's wall time differs between runs; everything else must be bit-identical. */
function withoutDuration<T extends { model: { fit: { durationMs: number } } }>(r: T): T {
  return { ...r, model: { ...r.model, fit: { ...r.model.fit, durationMs: 0 } } };
}

describe('learning compute thread', () => {
  let thread: LearningComputeThread;
  const inline: LearningCompute = createInlineLearningCompute();

  beforeAll(() => {
    thread = new LearningComputeThread();
  });
  afterAll(async () => {
    await thread.close();
  });

  it('fits, evaluates and profiles a challenger exactly as the inline path does, reporting progress', async () => {
    const input = fitInput(8_000, 5);
    const progress: unknown[] = [];
    const inThread = await thread.fitChallenger(input, { onProgress: (p) => progress.push(p) });
    const onCaller = await inline.fitChallenger(input);
    expect(withoutDuration(inThread)).toEqual(withoutDuration(onCaller));
    expect(inThread.holdoutMetrics.rocAuc).toBeGreaterThan(0.8);
    expect(progress).toEqual([{ step: 'evaluating' }]);
    expect(thread.busy).toBe(0);
  });

  it('computes offline metrics and drift reports identical to the inline path (NaN included)', async () => {
    const scores = Float64Array.from({ length: 500 }, (_, i) => (i * 7919) % 1000 / 1000);
    const labels = Uint8Array.from({ length: 500 }, (_, i) => (i % 9 === 0 ? 1 : 0));
    expect(await thread.evaluateScores({ scores, labels })).toEqual(await inline.evaluateScores({ scores, labels }));
    const oneClass = await thread.evaluateScores({ scores, labels: new Uint8Array(500) });
    expect(Number.isNaN(oneClass.rocAuc)).toBe(true);

    const input = fitInput(4_000, 6);
    const { referenceProfile } = await inline.fitChallenger(input);
    const window = generateTrainingSet({ rows: 800, seed: 77 });
    for (const current of [window.X, createMatrix(window.X.data.slice(0, 300 * window.X.cols), 300, window.X.cols)]) {
      const drift = { reference: referenceProfile, current };
      expect(await thread.detectDrift(drift)).toEqual(await inline.detectDrift(drift));
    }
  });

  it('rejects with the error the task threw: same class, same code', async () => {
    const input = fitInput(1_000, 7);
    const broken = { ...input, train: { X: input.train.X, y: input.train.y.subarray(1) } };
    const trainingError = await thread.fitChallenger(broken).catch((err: unknown) => err);
    expect(trainingError).toBeInstanceOf(TrainingError);
    expect(trainingError).toMatchObject({ code: 'TRAINING_INPUT_INVALID', message: expect.stringContaining('labels:') });
    expect((trainingError as Error).stack).toContain('trainLogisticRegression');

    const metricsError = await thread.evaluateScores({ scores: [0.1, 0.2], labels: [1] }).catch((err: unknown) => err);
    expect(metricsError).toBeInstanceOf(MetricsInputError);
    expect(metricsError).toMatchObject({ code: 'METRICS_INPUT_INVALID' });

    const { referenceProfile } = await inline.fitChallenger(input);
    const driftError = await thread.detectDrift({ reference: referenceProfile, current: createMatrix(new Float32Array(0), 0, input.train.X.cols) }).catch((err: unknown) => err);
    expect(driftError).toBeInstanceOf(DriftInputError);
    expect(driftError).toMatchObject({ code: 'DRIFT_INPUT_INVALID' });

    // An input that cannot cross the thread boundary never reaches it.
    const notCloneable = await thread.evaluateScores({ scores: [0.5], labels: [1], threshold: (() => 0.5) as unknown as number }).catch((err: unknown) => err);
    expect(notCloneable).toMatchObject({ code: 'COMPUTE_TASK_FAILED' });
    // This thread has no database: the reading tasks say so instead of hanging.
    const noDatabase = await thread.readDriftWindow({ asOfMs: Date.now(), windowMs: 60_000, maxRows: 10, championVersion: 'v1' }).catch((err: unknown) => err);
    expect(noDatabase).toBeInstanceOf(ComputeError);
    expect(noDatabase).toMatchObject({ code: 'COMPUTE_NO_DATABASE' });
    expect(thread.busy).toBe(0);
  });

  it('keeps the caller’s event loop turning while it fits', async () => {
    let turns = 0;
    let turning = true;
    const turn = (): void => {
      turns++;
      if (turning) setImmediate(turn);
    };
    setImmediate(turn);
    await thread.fitChallenger(fitInput(60_000, 8));
    turning = false;
    // Inline, the fit is one synchronous call and no turn can happen before it returns.
    expect(turns).toBeGreaterThan(1);
    // The thread runs niced: on a loaded machine (load 10 on 2 cores measured) the fit took longer than jest's 5 s.
  }, 60_000);
});

describe('learning compute thread priority', () => {
  // Field 19 of /proc/<pid>/task/<tid>/stat is the nice value; the command name (field 2) has no spaces here.
  const niceOf = (tid: string): number => Number(readFileSync(`/proc/self/task/${tid}/stat`, 'utf8').split(') ')[1].split(' ')[16]);
  const niceOfThreads = (): number[] =>
    readdirSync('/proc/self/task').flatMap((tid) => {
      try {
        return [niceOf(tid)];
      } catch {
        return []; // the thread ended meanwhile
      }
    });

  (process.platform === 'linux' ? it : it.skip)('runs below the saga path: its own thread is reniced, the caller’s is not', async () => {
    const pool = new LearningComputeThread({ niceness: 7 });
    try {
      await pool.evaluateScores({ scores: [0.2, 0.9], labels: [0, 1] });
      expect(niceOfThreads()).toContain(7);
      // The main thread's id is the pid (not the first entry: thread ids wrap around like pids do).
      expect(niceOf(String(process.pid))).toBe(0);
    } finally {
      await pool.close();
    }
  });
});

describe('learning compute thread lifecycle', () => {
  it('fails the tasks of a thread that dies with COMPUTE_THREAD_FAILED and starts a new one for the next task', async () => {
    let started = 0;
    const pool = new LearningComputeThread({
      start: (data) => {
        started++;
        // The first thread dies on its first message; the second is the real one.
        return started === 1 ? new Worker(`require('node:worker_threads').parentPort.on('message', () => process.exit(3));`, { eval: true }) : startComputeThread(data);
      },
    });
    try {
      const died = await pool.evaluateScores({ scores: [0.2, 0.9], labels: [0, 1] }).catch((err: unknown) => err);
      expect(died).toBeInstanceOf(ComputeError);
      expect(died).toMatchObject({ code: 'COMPUTE_THREAD_FAILED', message: expect.stringContaining('code 3') });
      const metrics = await pool.evaluateScores({ scores: [0.2, 0.9], labels: [0, 1] });
      expect(metrics.rocAuc).toBe(1);
      expect(started).toBe(2);
    } finally {
      await pool.close();
    }
  });

  it('close() terminates the thread: the running task fails with COMPUTE_THREAD_CLOSED, later ones are refused', async () => {
    const pool = new LearningComputeThread();
    const running = pool.fitChallenger(fitInput(60_000, 9)).catch((err: unknown) => err);
    await pool.close();
    expect(await running).toMatchObject({ code: 'COMPUTE_THREAD_CLOSED' });
    await expect(pool.evaluateScores({ scores: [0.5], labels: [1] })).rejects.toMatchObject({ code: 'COMPUTE_THREAD_CLOSED' });
  });
});
