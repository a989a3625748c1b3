// Patch ids of the payment saga: every change to the commands a running saga issues goes behind one of these, so
// sagas started by older code (a FLAG saga can wait days for its review) replay unchanged. Recorded histories of each
// version replay in test/workflows/payment-saga.replay.test.ts.
//
// Retiring a patch: once no saga started before it is open (`temporal workflow count --query
// 'WorkflowType="paymentSaga" AND ExecutionStatus="Running" AND StartTime < "<deploy time>"'` is 0), replace
// `patched(id)` by `deprecatePatch(id)` for one release, then delete the old branch and the call.
export const SAGA_PATCHES = {
  /**
   * Version 2: enrich + score as one local activity, and the APPROVE path's record as a local activity, so an
   * approval completes in its first workflow task: 10 history events instead of 14, of which the patch itself writes
   * two (its marker and the SDK's TemporalChangeVersion search attribute); 8 once the patch is retired.
   */
  oneTaskApproval: 'payment-saga-v2-one-task-approval',
} as const;
