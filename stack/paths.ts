import { join } from 'node:path';
import { projectRoot } from '../src/config/project-root';

/** Installed tools (shared by every stack of this checkout; written by scripts/bootstrap.sh). */
export interface ToolPaths {
  temporalCli: string;
  temporalTestServer: string;
  kafkaLibs: string;
}

export function toolPaths(root = projectRoot()): ToolPaths {
  const tools = process.env.MAINSPRING_TOOLS ?? join(root, '.mainspring');
  return {
    temporalCli: join(tools, 'venv', 'bin', 'temporal'),
    temporalTestServer: join(tools, 'venv', 'bin', 'temporal-test-server'),
    kafkaLibs: join(tools, 'kafka', 'libs'),
  };
}

/** Where one stack keeps its data, logs and pid files. Tests use their own home so they never touch yours. */
export interface StackPaths {
  home: string;
  data(component: string): string;
  log(component: string): string;
  pid(component: string): string;
}

export function stackPaths(home: string): StackPaths {
  return {
    home,
    data: (component) => join(home, 'data', component),
    log: (component) => join(home, 'logs', `${component}.log`),
    pid: (component) => join(home, 'run', `${component}.pid`),
  };
}
