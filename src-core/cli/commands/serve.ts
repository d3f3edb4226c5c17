// `xlab serve`: the lab in a browser, for headless GPU servers and for the e2e tests.
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { repoRoot } from '../../config/paths.ts'
import { newToken } from '../../server/auth.ts'
import { startLabServer } from '../../server/http-server.ts'
import { LabService } from '../../service/lab-service.ts'
import { flagList, flagNumber, flagString, type CliArgs } from '../args.ts'

const HELP = `usage: xlab serve [--host 127.0.0.1] [--port 0] [--allow DIR]... [--data DIR] [--token T]

Serves the lab's UI and API on http://HOST:PORT/?token=... (printed on start).
  --allow DIR   a folder the UI may import from (repeatable); other paths are refused
  --port N      port to listen on (default 4780; 0 picks a free one)
  --host H      interface to bind (default 127.0.0.1; anything else exposes the lab to the network)
  --token T     use this token instead of a random one (or XLAB_TOKEN)
`

export async function run(args: CliArgs): Promise<number> {
  if (args.flags.help) {
    process.stdout.write(HELP)
    return 0
  }
  const host = flagString(args, 'host') ?? '127.0.0.1'
  const port = flagNumber(args, 'port') ?? 4780
  const allow = flagList(args, 'allow')
  for (const dir of allow) {
    if (!existsSync(dir)) throw Object.assign(new Error(`--allow ${dir}: no such folder.`), { code: 'BAD_REQUEST' })
  }
  const token = flagString(args, 'token') ?? process.env.XLAB_TOKEN ?? newToken()
  if (token.length < 16) throw Object.assign(new Error('--token must be at least 16 characters.'), { code: 'BAD_REQUEST' })
  const service = await LabService.open({ dataRoot: flagString(args, 'data') })
  for (const dir of allow) service.ctx.pathGuard.allow(dir)
  const server = await startLabServer({ service, host, port, token, rendererDir: join(repoRoot(), 'out', 'renderer') }).catch(async (err: NodeJS.ErrnoException) => {
    await service.close()
    if (err.code === 'EADDRINUSE') throw Object.assign(new Error(`Port ${port} on ${host} is in use (another xlab serve?). Pick another with --port, or --port 0 for any free one.`), { code: 'BAD_REQUEST' })
    if (err.code === 'EADDRNOTAVAIL') throw Object.assign(new Error(`${host} is not an address of this machine; use --host 127.0.0.1.`), { code: 'BAD_REQUEST' })
    throw err
  })
  if (host !== '127.0.0.1' && host !== 'localhost' && host !== '::1') {
    process.stderr.write(`xlab serve: listening on ${host}; anyone who can reach it and has the token controls the lab.\n`)
  }
  process.stdout.write(`X-Ray SSL Lab is serving ${service.ctx.dataRoot}\nOpen ${server.url}\n`)
  await new Promise<void>((resolveStop) => {
    const stop = () => resolveStop()
    process.once('SIGINT', stop)
    process.once('SIGTERM', stop)
  })
  await server.close()
  await service.close()
  return 0
}
