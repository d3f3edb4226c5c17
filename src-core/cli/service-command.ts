// The plumbing a `xlab <command> <subcommand>` that talks to the lab service shares: its help text,
// the service opened on --data (queue not started) and closed however the subcommand ends, a caller
// of the typed API and a JSON printer. The exit codes of errors are main.ts's (BAD_REQUEST: 2).
import { LabService } from '../service/lab-service.ts'
import { flagString, type CliArgs } from './args.ts'

/** An error main() reports as a usage mistake: its message, exit code 2. */
export function badRequest(message: string): Error & { code: 'BAD_REQUEST' } {
  return Object.assign(new Error(message), { code: 'BAD_REQUEST' as const })
}

/** What a subcommand's body gets. */
export interface ServiceCommand {
  /** The subcommand (`list`, `import`, ...). */
  sub: string
  /** The positional words after the subcommand. */
  rest: string[]
  /** --json was given: print machine-readable output. */
  json: boolean
  /** Calls a lab API method as the app does (input validated, typed errors). */
  call(method: string, input: unknown): Promise<unknown>
  /** Prints a value as indented JSON on stdout. */
  print(value: unknown): void
}

/**
 * Runs a subcommand: prints `help` when none is given (exit 2) or --help is (exit 0); else opens
 * the lab service on --data, runs `body` and closes the service, also when `body` throws.
 */
export async function runServiceCommand(args: CliArgs, help: string, body: (cmd: ServiceCommand) => Promise<number>): Promise<number> {
  const [sub, ...rest] = args.positional
  if (!sub || args.flags.help) {
    process.stdout.write(help)
    return sub ? 0 : 2
  }
  const service = await LabService.open({ dataRoot: flagString(args, 'data'), allowAllPaths: true, startQueue: false })
  const signal = new AbortController().signal
  try {
    return await body({
      sub,
      rest,
      json: Boolean(args.flags.json),
      call: (method, input) => service.dispatch(method, input, { signal, requestId: 'cli' }),
      print: (value) => process.stdout.write(`${JSON.stringify(value, null, 2)}\n`),
    })
  } finally {
    await service.close()
  }
}
