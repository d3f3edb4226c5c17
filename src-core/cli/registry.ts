// The table of top-level `xlab` commands, filled by cli/commands/index.ts.
import type { CliArgs } from './args.ts'

/** A command module: runs with its own arguments and returns the exit code. */
export interface CommandModule {
  run(args: CliArgs): Promise<number>
}

/** Registered commands by name. */
export const commands: Record<string, { summary: string; load: () => Promise<CommandModule> }> = {}

/** Registers a command lazily, so `xlab datasets` never loads the runner. */
export function registerCommand(name: string, summary: string, load: () => Promise<CommandModule>): void {
  commands[name] = { summary, load }
}
