// `xlab version`: the lab's version and the data root in use.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { repoRoot, resolveDataRoot } from '../../config/paths.ts'
import { flagString, type CliArgs } from '../args.ts'

export async function run(args: CliArgs): Promise<number> {
  const pkg = JSON.parse(readFileSync(join(repoRoot(), 'package.json'), 'utf8')) as { version: string }
  process.stdout.write(`xlab ${pkg.version}\nnode ${process.version}\ndata ${resolveDataRoot(flagString(args, 'data'))}\n`)
  return 0
}
