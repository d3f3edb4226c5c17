// The transport of `xlab serve`: HTTP for the built renderer and one-shot calls (POST /api/<method>),
// a WebSocket (/ws) for the same wire messages as Electron's MessagePort. Every request and socket
// must carry the token and come from this origin (auth.ts).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Duplex } from 'node:stream'
import { WebSocketServer, type WebSocket } from 'ws'
import type { LabService } from '../service/lab-service.ts'
import { TOKEN_COOKIE, originAllowed, requestUrl, tokenMatches, tokenOf } from './auth.ts'
import { serveStatic, setSecurityHeaders } from './static-files.ts'
import { openWireSession, toErrorBody } from './wire-session.ts'

export interface LabServerOptions {
  /** The service every client talks to. */
  service: Pick<LabService, 'dispatch' | 'ctx'>
  /** Interface to bind; 127.0.0.1 unless the user asks otherwise. */
  host: string
  /** Port; 0 picks a free one. */
  port: number
  /** The secret every request must carry. */
  token: string
  /** Folder of the built renderer (out/renderer). */
  rendererDir: string
}

export interface LabServer {
  /** The URL to open, token included. */
  url: string
  /** The bound port. */
  port: number
  /** Closes every socket and the listener. */
  close(): Promise<void>
}

const MAX_BODY = 4 * 1024 * 1024

export async function startLabServer(opts: LabServerOptions): Promise<LabServer> {
  const { service, token } = opts
  const origins = new Set<string>()
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_BODY })
  const sockets = new Set<WebSocket>()
  let clientCount = 0

  const refuse = (res: ServerResponse, status: number, code: string, message: string) => {
    res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify({ ok: false, error: { code, message } }))
  }

  const server = createServer((req, res) => {
    try {
      handleRequest(req, res)
    } catch (err) {
      // Nothing a client sends may end the lab: an unexpected failure answers 500 and is logged.
      service.ctx.log('serve', `request ${JSON.stringify(req.url)} failed: ${(err as Error).stack ?? String(err)}`)
      if (!res.headersSent) refuse(res, 500, 'INTERNAL', 'The lab could not answer this request; the service log has the details.')
      else res.destroy()
    }
  })
  // A malformed request line or header is answered 400 by Node; the socket must not take the server with it.
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n')
    else socket.destroy()
  })

  function handleRequest(req: IncomingMessage, res: ServerResponse) {
    setSecurityHeaders(res)
    if (!originAllowed(req, origins)) return refuse(res, 403, 'FORBIDDEN', `Requests from ${req.headers.origin} are not accepted; open the lab from the URL xlab serve printed.`)
    const given = tokenOf(req)
    if (!tokenMatches(token, given)) return refuse(res, 401, 'UNAUTHORIZED', 'This lab needs its access token: open the full URL that xlab serve printed (it ends in ?token=...).')
    // The cookie lets the page's assets and socket authenticate without repeating the token in every URL.
    res.setHeader('Set-Cookie', `${TOKEN_COOKIE}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`)
    const url = requestUrl(req)
    if (!url) return refuse(res, 400, 'BAD_REQUEST', 'The request target is not a valid URL path.')
    if (url.pathname.startsWith('/api/')) {
      handleApiPost(req, res, url.pathname.slice('/api/'.length)).catch((err: unknown) => {
        service.ctx.log('serve', `POST ${url.pathname} failed: ${(err as Error).stack ?? String(err)}`)
        if (!res.headersSent) refuse(res, 500, 'INTERNAL', 'The lab could not answer this request; the service log has the details.')
        else res.destroy()
      })
      return
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return refuse(res, 405, 'BAD_REQUEST', `${req.method} is not supported here.`)
    if (!serveStatic(opts.rendererDir, url.pathname, res)) {
      res.writeHead(503, { 'Content-Type': 'text/plain; charset=utf-8' }).end(`The app is not built (${opts.rendererDir} is missing). Run "npm run build" and start xlab serve again.`)
    }
  }

  async function handleApiPost(req: IncomingMessage, res: ServerResponse, rawMethod: string) {
    if (req.method !== 'POST') return refuse(res, 405, 'BAD_REQUEST', 'Call API methods with POST and a JSON body.')
    let methodName: string
    try {
      methodName = decodeURIComponent(rawMethod)
    } catch {
      return refuse(res, 404, 'NOT_FOUND', 'The API method name in the path is not valid percent-encoding.')
    }
    // Chunks are joined as bytes before decoding: a UTF-8 character may be split across two of them.
    const chunks: Buffer[] = []
    let size = 0
    try {
      for await (const chunk of req) {
        size += (chunk as Buffer).length
        if (size > MAX_BODY) return refuse(res, 413, 'BAD_REQUEST', 'The request body is larger than 4 MiB.')
        chunks.push(chunk as Buffer)
      }
    } catch {
      // The client went away (or sent a broken chunked body) before the body ended: nobody to answer.
      return void res.destroy()
    }
    const body = Buffer.concat(chunks).toString('utf8')
    let input: unknown = {}
    try {
      if (body.trim()) input = JSON.parse(body)
    } catch {
      return refuse(res, 400, 'BAD_REQUEST', 'The request body is not valid JSON.')
    }
    const controller = new AbortController()
    res.on('close', () => {
      if (!res.writableEnded) controller.abort()
    })
    try {
      const result = await service.dispatch(methodName, input, { signal: controller.signal, requestId: `http:${++clientCount}` })
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ ok: true, result: result ?? null }))
    } catch (err) {
      const error = toErrorBody(err, methodName, service)
      const status = error.code === 'NOT_FOUND' ? 404 : error.code === 'BAD_REQUEST' ? 400 : error.code === 'PATH_REFUSED' ? 403 : 500
      res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify({ ok: false, error }))
    }
  }

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    // The raw socket has no error listener until ws adopts it; a reset before then must not crash.
    socket.on('error', () => socket.destroy())
    const reject = (status: string) => {
      if (socket.writable) socket.write(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`)
      socket.destroy()
    }
    try {
      upgrade(req, socket, head, reject)
    } catch (err) {
      service.ctx.log('serve', `upgrade ${JSON.stringify(req.url)} failed: ${(err as Error).stack ?? String(err)}`)
      reject('500 Internal Server Error')
    }
  })

  function upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, reject: (status: string) => void) {
    const url = requestUrl(req)
    if (!url) return reject('400 Bad Request')
    if (url.pathname !== '/ws') return reject('404 Not Found')
    if (!originAllowed(req, origins)) return reject('403 Forbidden')
    if (!tokenMatches(token, tokenOf(req))) return reject('401 Unauthorized')
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.add(ws)
      const label = `ws${++clientCount}`
      const session = openWireSession(service, (m) => {
        if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(m))
      }, label)
      ws.on('message', (data) => {
        let msg: unknown
        try {
          msg = JSON.parse(String(data))
        } catch {
          service.ctx.log('serve', `${label}: ignored a message that is not JSON`)
          return
        }
        session.receive(msg)
      })
      // A protocol error (oversized or invalid frame) must end this socket, not the server.
      ws.on('error', (err) => service.ctx.log('serve', `${label}: socket error: ${err.message}`))
      ws.on('close', () => {
        session.close()
        sockets.delete(ws)
      })
    })
  }

  await new Promise<void>((resolveListen, rejectListen) => {
    server.once('error', rejectListen)
    server.listen(opts.port, opts.host, () => resolveListen())
  })
  const port = (server.address() as AddressInfo).port
  const hostForUrl = opts.host.includes(':') ? `[${opts.host}]` : opts.host
  for (const h of new Set([hostForUrl, 'localhost', '127.0.0.1'])) origins.add(`http://${h}:${port}`)
  return {
    url: `http://${hostForUrl}:${port}/?token=${token}`,
    port,
    close: async () => {
      for (const ws of sockets) ws.terminate()
      await new Promise<void>((r) => wss.close(() => r()))
      await new Promise<void>((r) => server.close(() => r()))
    },
  }
}
