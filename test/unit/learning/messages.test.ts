import { SEARCH_ATTRIBUTES } from '../../../src/temporal/search-attributes';
import { TASK_QUEUES } from '../../../src/temporal/task-queues';
import {
  approvePromotionSignal,
  approvePromotionUpdate,
  LEARNING_PHASE_SEARCH_ATTRIBUTE,
  LEARNING_SIGNALS,
  learningWorkflowId,
  rejectPromotionSignal,
  rejectPromotionUpdate,
} from '../../../workflows/learning-loop/learning-loop.messages';
import { LEARNING_PHASES } from '../../../workflows/learning/types';

describe('learning loop messages', () => {
  it('the workflow declares the same LearningPhase key the stack manager registers', () => {
    expect(LEARNING_PHASE_SEARCH_ATTRIBUTE).toEqual(SEARCH_ATTRIBUTES.LearningPhase);
  });

  it('one loop per model on the learning task queue', () => {
    expect(learningWorkflowId('fraud')).toBe('learning-fraud');
    expect(TASK_QUEUES.learning).toBe('learning');
  });

  it('approve / reject exist as updates (CLI) and as signals of the same name (Temporal UI)', () => {
    expect(approvePromotionUpdate.name).toBe(LEARNING_SIGNALS.approvePromotion);
    expect(approvePromotionSignal.name).toBe('approvePromotion');
    expect(rejectPromotionUpdate.name).toBe(rejectPromotionSignal.name);
    expect(LEARNING_SIGNALS).toMatchObject({ labels: 'labels', driftDetected: 'driftDetected', retrainRequested: 'retrainRequested', retrain: 'retrain' });
  });

  it('phases are the LearningPhase values the UI can filter on', () => {
    expect(LEARNING_PHASES).toEqual(['idle', 'retraining', 'gating', 'shadowing', 'awaiting-approval', 'promoting', 'watching', 'rolling-back']);
  });
});
