import type { OnFatal, ShutdownSequence } from '../src/lifecycle/shutdown';

/**
 * A long-running command's answer to a component failing after it started (a worker crashed, the bridge's consumer
 * stopped for good): one line on stderr naming it, the command's ordered shutdown, exit 1. Before, such a process
 * stayed alive doing nothing.
 */
export class ExitOnFatal {
  private shutdown?: ShutdownSequence;
  private failed = false;

  constructor(
    /** what the person should know about what stays (`npm start`: the stack stays up) */
    private readonly hint = '',
    private readonly exit: (code: number) => void = (code) => process.exit(code),
  ) {}

  /** The sequence to run on a failure; known once the command is up (a failure before that exits at once). */
  attach(shutdown: ShutdownSequence): this {
    this.shutdown = shutdown;
    return this;
  }

  readonly onFatal: OnFatal = (component, err) => {
    if (this.failed) return;
    this.failed = true;
    const message = err instanceof Error ? err.message : String(err);
    console.error(`mainspring: ${component} failed after start: ${message}\n  → stopping the rest in order, then exiting with code 1.${this.hint ? ` ${this.hint}` : ''}`);
    void (this.shutdown?.run(`${component} failed`) ?? Promise.resolve()).finally(() => this.exit(1));
  };
}
