// Minimal, predictable argument parsing: `--flag value`, `--flag=value`, `--bool`, positionals.

export interface CliArgs {
  /** Words that are not flags, in order. */
  positional: string[]
  /** Flags by name; repeated flags collect into arrays; bare flags are true. */
  flags: Record<string, string | boolean | string[]>
}

/** Flags that never take a value. */
const BOOLEAN_FLAGS = new Set(['help', 'json', 'force', 'follow', 'plain', 'yes', 'all', 'no-open', 'detach', 'wait', 'repair', 'no-setup', 'measure'])

export function parseArgs(argv: string[]): CliArgs {
  const positional: string[] = []
  const flags: CliArgs['flags'] = {}
  const put = (k: string, v: string | boolean) => {
    const prev = flags[k]
    if (prev === undefined || typeof v === 'boolean') flags[k] = v
    else flags[k] = Array.isArray(prev) ? [...prev, v] : typeof prev === 'string' ? [prev, v] : v
  }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!
    if (a === '--') {
      positional.push(...argv.slice(i + 1))
      break
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=')
      if (eq > 0) put(a.slice(2, eq), a.slice(eq + 1))
      else {
        const k = a.slice(2)
        const next = argv[i + 1]
        if (!BOOLEAN_FLAGS.has(k) && next !== undefined && !next.startsWith('--')) {
          put(k, next)
          i++
        } else put(k, true)
      }
    } else positional.push(a)
  }
  return { positional, flags }
}

/** A string flag, or undefined; a repeated flag gives its last value. */
export function flagString(args: CliArgs, name: string): string | undefined {
  const v = args.flags[name]
  if (Array.isArray(v)) return v.at(-1)
  return typeof v === 'string' ? v : undefined
}

/** A repeatable flag as a list. */
export function flagList(args: CliArgs, name: string): string[] {
  const v = args.flags[name]
  if (Array.isArray(v)) return v
  return typeof v === 'string' ? [v] : []
}

/** A numeric flag; throws a clear message if it is not a number. */
export function flagNumber(args: CliArgs, name: string): number | undefined {
  const s = flagString(args, name)
  if (s === undefined) return undefined
  const n = Number(s)
  if (!Number.isFinite(n)) throw Object.assign(new Error(`--${name} expects a number, got "${s}".`), { code: 'BAD_REQUEST' })
  return n
}
