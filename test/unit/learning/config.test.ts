import { DEFAULT_LEARNING_CONFIG, resolveLearningConfig } from '../../../workflows/learning/config';

describe('learning loop configuration', () => {
  it('defaults: volume 1000, max age 7 d, cooldown 6 h, hourly drift check, approval deadline 24 h, nobody may approve', () => {
    const { config, problems } = resolveLearningConfig(undefined);
    expect(problems).toEqual([]);
    expect(config).toEqual(DEFAULT_LEARNING_CONFIG);
    expect(config.triggers).toEqual({ volumeLabels: 1000, maxChampionAgeMs: 7 * 86_400_000, cooldownMs: 6 * 3_600_000 });
    expect(config.drift.checkIntervalMs).toBe(3_600_000);
    expect(config.approval).toEqual({ approvers: [], deadlineMs: 86_400_000 });
  });

  it('layers a partial input over the base, parses durations, normalizes approvers, disables with null', () => {
    const { config, problems } = resolveLearningConfig({
      triggers: { volumeLabels: 50, maxChampionAge: null, cooldown: '30m' },
      drift: { checkInterval: null },
      approval: { approvers: [' Alice@Example.com', 'alice@example.com', 'bob'] },
      shadow: { maxDuration: '1d 12h' },
    });
    expect(problems).toEqual([]);
    expect(config.triggers).toEqual({ volumeLabels: 50, maxChampionAgeMs: null, cooldownMs: 1_800_000 });
    expect(config.drift.checkIntervalMs).toBeNull();
    expect(config.approval.approvers).toEqual(['alice@example.com', 'bob']);
    expect(config.shadow.maxDurationMs).toBe(129_600_000);
    expect(config.gate).toEqual(DEFAULT_LEARNING_CONFIG.gate);
  });

  it('a disabled optional threshold stays disabled when a later change leaves it out', () => {
    const running = resolveLearningConfig({ gate: { maxLogLossIncrease: null } }).config;
    expect(resolveLearningConfig({ gate: { minImprovement: 0.01 } }, running).config.gate).toMatchObject({ maxLogLossIncrease: null, minImprovement: 0.01 });
  });

  it('a change is layered over the running configuration, not the defaults', () => {
    const running = resolveLearningConfig({ triggers: { volumeLabels: 10 } }).config;
    const { config } = resolveLearningConfig({ approval: { approvers: ['carol'] } }, running);
    expect(config.triggers.volumeLabels).toBe(10);
    expect(config.approval.approvers).toEqual(['carol']);
  });

  it('names every invalid value at once', () => {
    const { problems } = resolveLearningConfig({
      triggers: { volumeLabels: -1, cooldown: 'soon' },
      gate: { metric: 'accuracy' as never, minImprovement: 3 },
      shadow: { pollInterval: 10 },
      approval: { approvers: [''] },
      training: { minRows: 5, classWeight: 'heavy' as never },
    });
    expect(problems).toEqual([
      'triggers.volumeLabels must be a whole number of at least 0, got -1',
      'triggers.cooldown must be a duration such as "6h" or a number of milliseconds, got "soon"',
      'training.minRows must be a whole number of at least 10, got 5',
      'training.classWeight must be "none" or "balanced", got "heavy"',
      'gate.metric must be one of prAuc, rocAuc, logLoss, brier, got "accuracy"',
      'gate.minImprovement must be a number from -1 to 1, got 3',
      'shadow.pollInterval must be at least 1000 ms, got 10',
      'approval.approvers must be a list of non-empty identities (at most 128 characters each)',
    ]);
  });

  it('checks across fields once every field is valid, against the layered result', () => {
    expect(resolveLearningConfig({ training: { minRows: 20, minPositives: 30 } }).problems).toEqual(['training.minRows must be at least training.minPositives']);
    const running = resolveLearningConfig({ training: { minRows: 40, minPositives: 30 } }).config;
    expect(resolveLearningConfig({ training: { minRows: 20 } }, running).problems).toEqual(['training.minRows must be at least training.minPositives']);
  });

  // Loops running today had their configuration accepted by the hand-written validator this schema replaced; the
  // decisions below are that validator's (a differential run over ~4000 inputs agreed on every accept/reject).
  it('accepts and rejects what running loops were promised', () => {
    expect(resolveLearningConfig(null as never)).toEqual({ config: DEFAULT_LEARNING_CONFIG, problems: [] });
    expect(resolveLearningConfig([] as never).problems).toEqual(['config must be an object']);
    expect(resolveLearningConfig({ triggers: 5, drift: null, extra: true } as never)).toEqual({ config: DEFAULT_LEARNING_CONFIG, problems: [] });
    expect(resolveLearningConfig({ triggers: { cooldown: '5000' } }).config.triggers.cooldownMs).toBe(5000);
    expect(resolveLearningConfig({ triggers: { volumeLabels: Infinity, cooldown: -1 } }).problems).toEqual([
      'triggers.volumeLabels must be a whole number of at least 0, got null',
      'triggers.cooldown must be a duration such as "6h" or a number of milliseconds, got -1',
    ]);
    expect(resolveLearningConfig({ approval: { approvers: ['x'.repeat(129)] } }).problems).toHaveLength(1);
    expect(resolveLearningConfig({ backfillGate: [] as never }).problems).toEqual([
      'backfillGate must be an object such as { hours: 24, maxAucDrop: 0.02 } or null',
    ]);
  });

  it('a loss metric drops the AUC floor unless one is given', () => {
    expect(resolveLearningConfig({ gate: { metric: 'logLoss' } }).config.gate.minMetric).toBeNull();
    expect(resolveLearningConfig({ gate: { metric: 'logLoss', minMetric: 0.2 } }).config.gate.minMetric).toBe(0.2);
    expect(resolveLearningConfig({ gate: { metric: 'rocAuc' } }).config.gate.minMetric).toBe(0.5);
  });
});
