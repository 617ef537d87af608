import type { Command } from 'commander';
import { z } from 'zod';
import { type CommandContext, parseOptions } from '../command-kit.js';
import { versionArg } from '../validate.js';
import { modelsList, modelsShow } from './inspect.js';
import { modelsHistory, modelsPromote, modelsRollback } from './lifecycle.js';

const jsonFlag = z.object({ json: z.boolean().default(false) });
export const historyFlagsSchema = jsonFlag.extend({
  alias: z.string().optional(),
  at: z.string().optional(),
});
export const aliasMoveFlagsSchema = jsonFlag.extend({ alias: z.string(), reason: z.string().optional() });

/** Declares `shardtrain models` (the registry): list, show, history, promote, rollback. */
export function registerModels(program: Command, { session, io }: CommandContext): void {
  const models = program.command('models').description('the model registry');
  models
    .command('list')
    .option('--json', 'JSON output')
    .action(async (_o: unknown, cmd: Command) => {
      await modelsList(session(cmd), parseOptions(jsonFlag, cmd).json, io);
    });
  models
    .command('show <ref>')
    .option('--json', 'JSON output')
    .action(async (ref: string, _o: unknown, cmd: Command) => {
      await modelsShow(session(cmd), ref, parseOptions(jsonFlag, cmd).json, io);
    });
  models
    .command('history <name>')
    .description('every alias move, or which version each alias pointed at, at a time')
    .option('--alias <alias>', 'only this alias')
    .option('--at <time>', 'ISO time: the aliases at that instant')
    .option('--json', 'JSON output')
    .action(async (name: string, _o: unknown, cmd: Command) => {
      await modelsHistory(session(cmd), name, parseOptions(historyFlagsSchema, cmd), io);
    });
  models
    .command('promote <name> <version>')
    .description('point an alias (default: champion) at a version')
    .option('--alias <alias>', 'alias to move', 'champion')
    .option('--reason <text>', 'recorded in the alias history')
    .option('--json', 'JSON output')
    .action(async (name: string, version: string, _o: unknown, cmd: Command) => {
      await modelsPromote(
        session(cmd),
        name,
        versionArg(version),
        parseOptions(aliasMoveFlagsSchema, cmd),
        io,
      );
    });
  models
    .command('rollback <name>')
    .description('move an alias (default: champion) back to where it was before its last move')
    .option('--alias <alias>', 'alias to move back', 'champion')
    .option('--reason <text>', 'recorded in the alias history')
    .option('--json', 'JSON output')
    .action(async (name: string, _o: unknown, cmd: Command) => {
      await modelsRollback(session(cmd), name, parseOptions(aliasMoveFlagsSchema, cmd), io);
    });
}
