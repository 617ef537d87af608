import { resolve } from 'node:path';
import { Command } from 'commander';
import { type CliConfig, cliConfigFromEnv, type Env } from '../lib/app/index.js';
import type { CommandContext, RegisterCommand } from './command-kit.js';
import { registerDemo } from './commands/demo.js';
import { registerEvaluate } from './commands/evaluate.js';
import { registerDeadLetters, registerInspect } from './commands/inspect.js';
import { registerModels } from './commands/models.js';
import { registerPipelines } from './commands/pipelines.js';
import { registerPlan } from './commands/plan.js';
import { registerReport } from './commands/report.js';
import { registerResume } from './commands/resume.js';
import { registerSimulate } from './commands/simulate.js';
import { registerTrain } from './commands/train.js';
import { registerUi } from './commands/ui.js';
import { registerUpload } from './commands/upload.js';
import { reportError } from './errors.js';
import type { Home } from './home.js';
import { type Io, processIo } from './output.js';
import { Session } from './session.js';

interface Globals {
  home?: string;
  debug?: boolean;
}

/** Every command, in the order `--help` lists them; each is declared next to its handler. */
const COMMANDS: readonly RegisterCommand[] = [
  registerUpload,
  registerTrain,
  registerResume,
  registerEvaluate,
  registerModels,
  registerPipelines,
  registerInspect,
  registerPlan,
  registerSimulate,
  registerReport,
  registerUi,
  registerDeadLetters,
  registerDemo,
];

/**
 * Runs the CLI with `argv` (without node and script); resolves with the exit code. `env` is read
 * once, here, into the CLI's {@link CliConfig}; nothing below reads the environment.
 */
export async function main(
  argv: readonly string[],
  io: Io = processIo,
  env: Env = process.env,
): Promise<number> {
  let debug = argv.includes('--debug');
  let config: CliConfig | undefined;
  let awsHome: Home | undefined;
  const sessions: Session[] = [];
  const session = (cmd: Command): Session => {
    const g = cmd.optsWithGlobals<Globals>();
    debug = g.debug === true;
    if (config === undefined) throw new Error('the configuration is parsed before the command runs');
    const { home, cloud: _cloud, ...options } = config;
    const s = new Session(g.home !== undefined ? resolve(g.home) : home, options, awsHome);
    sessions.push(s);
    return s;
  };
  const program = buildProgram(session, io);
  try {
    config = cliConfigFromEnv({}, env);
    // SHARDTRAIN_CLOUD=aws: the store, registry and queues of the deployed stack instead of the
    // local cloud (loaded only then, so local use never pays for the AWS SDK).
    if (config.aws !== undefined) awsHome = (await import('./aws-home.js')).openAwsHome(config.aws);
    await program.parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (error) {
    return reportError(error, debug, io.err);
  } finally {
    for (const s of sessions) await s.close();
  }
}

function buildProgram(session: (cmd: Command) => Session, io: Io): Command {
  const program = new Command('shardtrain')
    .description(
      'Train and manage models with distributed gradient descent, on AWS or an embedded local cloud',
    )
    .option('--home <dir>', 'where the local store lives (default: $SHARDTRAIN_HOME or ./.shardtrain)')
    .option('--debug', 'print stack traces')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: () => undefined })
    .showSuggestionAfterError(true);
  const ctx: CommandContext = { session, io };
  for (const register of COMMANDS) register(program, ctx);
  return program;
}
