#!/usr/bin/env node
// The `xlab` command. Each top-level command lives in cli/commands/<name>.ts and exports `run`.
import { parseArgs } from './args.ts'
import { commands } from './registry.ts'

function usage(): string {
  const lines = Object.entries(commands).map(([n, c]) => `  xlab ${n.padEnd(10)} ${c.summary}`)
  return ['usage: xlab <command> [options]   (global: --data DIR, or XLAB_DATA)', '', ...lines, ''].join('\n')
}

async function main(argv: string[]): Promise<number> {
  await import('./commands/index.ts')
  const args = parseArgs(argv)
  const name = args.positional[0]
  // `xlab CMD --help` is the command's own help (each command prints its usage); bare --help is this list.
  if (!name || name === 'help' || (args.flags.help && !commands[name])) {
    process.stdout.write(usage())
    return name ? 0 : 2
  }
  const cmd = commands[name]
  if (!cmd) {
    process.stderr.write(`xlab: unknown command "${name}".\n\n${usage()}`)
    return 2
  }
  return (await cmd.load()).run({ ...args, positional: args.positional.slice(1) })
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code
  },
  (err: unknown) => {
    const e = err as { code?: string; message?: string }
    process.stderr.write(`xlab: ${e.message ?? String(err)}\n`)
    if (process.env.XLAB_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`)
    process.exitCode = e.code === 'BAD_REQUEST' || e.code === 'NOT_FOUND' || e.code === 'PATH_REFUSED' ? 2 : 1
  },
)
