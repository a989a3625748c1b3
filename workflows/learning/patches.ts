// Patch ids of the learning loop: every change to the commands a running loop issues goes behind one of these, so
// loops started (or continued as new) by older code replay unchanged. A loop runs for months, so a patch stays until
// every loop has continued as new past it. Recorded histories of each shape replay in
// test/workflows/learning-loop.replay.test.ts.
//
// Retiring a patch: once no open run of learningLoop started before the deploy (`temporal workflow count --query
// 'WorkflowType="learningLoop" AND ExecutionStatus="Running" AND StartTime < "<deploy time>"'` is 0 — a run that
// continued as new after the deploy counts as new), replace `patched(id)` by `deprecatePatch(id)` for one release,
// then delete the old branch and the call.
export const LEARNING_PATCHES = {
  /**
   * Each cycle runs as a learningCycle child workflow (own history, LearningPhase search attribute and UI page)
   * instead of inside the loop. Checked when a cycle starts: a loop whose history has a cycle run inline replays it
   * inline and runs its next cycle as a child.
   */
  cycleChild: 'learning-cycle-child-workflow',
} as const;
