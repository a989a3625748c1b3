import { Command } from 'commander';
import { ConfigError } from '../src/config/env';
import { PortsInUseError } from '../src/lifecycle/ports';
import { StackError } from '../stack/errors';
import { registerBenchCommand } from './commands/bench';
import { registerBridgeCommand } from './commands/bridge';
import { registerCodecServerCommand } from './commands/codec-server';
import { registerChaosCommand } from './commands/chaos';
import { registerDbCommands } from './commands/db';
import { registerDecisionCommands } from './commands/decisions';
import { registerDlqCommands } from './commands/dlq';
import { registerLearningCommands } from './commands/learning';
import { registerModelsCommands } from './commands/models';
import { registerProduceCommand } from './commands/produce';
import { registerRehearseCommand } from './commands/rehearse';
import { registerReplayCommands } from './commands/replay';
import { registerRunCommand } from './commands/run';
import { registerSchemasCommands } from './commands/schemas';
import { registerSetupCommand } from './commands/setup';
import { registerStackCommands } from './commands/stack';
import { registerStartCommand } from './commands/start';
import { registerWorkerCommand } from './commands/worker';
import { CliUsageError } from './output';

const program = new Command()
  .name('mainspring')
  .description('Event-driven machine learning on durable execution (Kafka → Temporal → ONNX)')
  .showHelpAfterError()
  .exitOverride();

registerStartCommand(program);
registerStackCommands(program);
registerSetupCommand(program);
registerWorkerCommand(program);
registerRunCommand(program);
registerDbCommands(program);
registerBridgeCommand(program);
registerProduceCommand(program);
registerDlqCommands(program);
registerSchemasCommands(program);
registerModelsCommands(program);
registerLearningCommands(program);
registerDecisionCommands(program);
registerReplayCommands(program);
registerBenchCommand(program);
registerCodecServerCommand(program);
registerChaosCommand(program);
registerRehearseCommand(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  if (err instanceof Error && 'code' in err && String((err as { code: unknown }).code).startsWith('commander.')) {
    process.exitCode = (err as { exitCode?: number }).exitCode ?? 1;
    return;
  }
  if (err instanceof StackError || err instanceof PortsInUseError || err instanceof ConfigError || err instanceof CliUsageError) {
    console.error(`mainspring: ${err.message}`);
  } else if (process.env.LOG_LEVEL === 'debug' || process.env.LOG_LEVEL === 'trace') {
    console.error(err);
  } else {
    // Unexpected errors: the message and its cause, not a page of stack (LOG_LEVEL=debug shows it).
    const cause = err instanceof Error && err.cause instanceof Error ? `\n  caused by: ${err.cause.message}` : '';
    console.error(`mainspring: ${err instanceof Error ? err.message : String(err)}${cause}`);
  }
  process.exitCode = 1;
  // A failed command ends. Commands close what they opened before the error reaches here; this bounds whatever a
  // library still holds open (a gRPC channel, a pool's idle clients), which kept a failed `npm start` alive.
  setTimeout(() => process.exit(1), 3_000).unref();
});
