import { bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';

/** Where the worker finds workflow code: the TypeScript sources in a checkout, the compiled files in dist/. */
export const WORKFLOWS_PATH = require.resolve('../workflows');

/**
 * Bundles workflows once per process; every Worker of the process reuses the bundle (webpack takes seconds).
 * `workflowInterceptorModules`: the OpenTelemetry workflow interceptors when tracing is on (a prebuilt bundle ignores
 * the Worker's own `interceptors.workflowModules`, so they must be bundled here).
 */
export function bundleWorkflows(workflowInterceptorModules: string[] = []): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, workflowInterceptorModules, logger: quietBundlerLogger });
}

const noop = () => undefined;
const quietBundlerLogger = { trace: noop, debug: noop, info: noop, warn: noop, error: console.error, log: noop };
