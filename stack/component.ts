import type { PortClaim } from '../src/lifecycle/ports';

/** `temporal`, `kafka`, `postgres`; the rehearsal's cluster adds `kafka-1`…`kafka-3` and `temporal-ui`. */
export type ComponentName = string;

export interface ComponentStatus {
  name: ComponentName;
  state: 'up' | 'down' | 'unhealthy';
  /** true when the address came from the environment and the stack does not manage the process */
  external: boolean;
  endpoint: string;
  port?: number;
  pid?: number;
  version?: string;
  detail?: string;
}

/** One service of the local stack. `start` is idempotent and returns only once the service is healthy. */
export interface StackComponent {
  readonly name: ComponentName;
  /** true when our process is running and answers its health check */
  running(): Promise<boolean>;
  /** checks the tools `start` needs are installed, so a bad situation is reported before anything starts */
  preflight(): Promise<void>;
  /** the ports `start` listens on; the stack checks them all (with the caller's own) before anything starts */
  ports(): PortClaim[];
  start(progress: (line: string) => void): Promise<void>;
  stop(): Promise<void>;
  status(): Promise<ComponentStatus>;
  /** removes the component's data (only when stopped) */
  wipe(): Promise<void>;
}
