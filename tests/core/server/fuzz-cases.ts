// Seeded hostile input for a live `xlab serve`: raw request lines and headers, cookies, bodies
// (including UTF-8 split across TCP chunks), API method names and WebSocket frames. Each case is a
// function that talks to the server and resolves whatever the server answers; only a dead server
// (or an unanswered authenticated request afterwards) is a failure.
import { connect } from 'node:net'
import { WebSocket } from 'ws'
import { mulberry32 } from '../../../src-core/util/rng.ts'

/** One fuzz case: a label for the failure message and the exchange itself. */
export interface FuzzCase {
  /** What was sent, short. */
  label: string
  /** Sends the case; resolves when the server answered or closed the connection. */
  send(port: number): Promise<void>
}

// Methods that only read (or refuse for want of data) on an empty lab: a fuzz run must not start
// imports or demo generation that would outlive it.
const SAFE_METHODS = ['datasets.list', 'datasets.get', 'datasets.report', 'datasets.thumbnails', 'datasets.cancelImport', 'datasets.previewTable', 'folders.list', 'studies.presets', 'studies.plan', 'studies.list', 'studies.get', 'runs.list', 'runs.get', 'runs.logs', 'runs.metrics', 'runs.artifacts', 'runs.artifactImage', 'results.table', 'results.run', 'results.analysis']
const HOSTILE_METHODS = ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__', 'prototype', '', '%', '%E0%A4%A', '%00', '..', 'datasets.list/../x', 'a'.repeat(5000), '\u{1F600}', 'datasets.', '.list']
const TARGETS = ['//[', '/%', '/?token=%', 'http://%', '/%E0%A4%A', '//', '/..%2f..%2fetc/passwd', '*', 'http://[::1', '/api/', '/api/%', '/api/constructor', '/ws?token=%', '/\u00ff', '/' + 'x'.repeat(9000), '/?token=&token=', 'http://x:99999/']
const COOKIES = ['xlab_token=%', 'xlab_token=%E0%A4%A', 'xlab_token', '=', ';;;', 'xlab_token=%%%; xlab_token=a', `xlab_token=${'%'.repeat(200)}`, 'xlab_token=\u00ff', 'a=b; xlab_token=%zz']
const AUTHS = ['Bearer', 'Bearer ', 'Bearer %', 'Basic xx', 'Bearer \u00ff', 'bearer x']
const ORIGINS = ['null', 'http://evil.example', '', 'http://127.0.0.1', '%']

const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!

function randomBytes(r: () => number, n: number): Buffer {
  const b = Buffer.alloc(n)
  for (let i = 0; i < n; i++) b[i] = Math.floor(r() * 256)
  return b
}

function randomJson(r: () => number, depth = 0): unknown {
  const k = Math.floor(r() * 9)
  if (depth > 3 || k < 3) return pick(r, [null, true, 0, -1, 1e308, 'x', '', '\u{1F600}', '%', '../../etc', '\u0000'])
  if (k < 6) return Array.from({ length: Math.floor(r() * 4) }, () => randomJson(r, depth + 1))
  const o: Record<string, unknown> = {}
  for (const key of ['id', 'name', 'path', 'studyId', 'runId', 'config', 'tail', '__proto__', 'constructor'].filter(() => r() < 0.4)) o[key] = randomJson(r, depth + 1)
  return o
}

function randomBody(r: () => number): Buffer {
  const k = Math.floor(r() * 7)
  if (k === 0) return Buffer.from(JSON.stringify(randomJson(r)))
  if (k === 1) return randomBytes(r, Math.floor(r() * 300))
  if (k === 2) return Buffer.from('{"id": "\u00e9\u4e2d\u{1F600}"}')
  if (k === 3) return Buffer.from('['.repeat(5000))
  if (k === 4) return Buffer.from('{"id":')
  if (k === 5) return Buffer.from('\uFEFF{}')
  return Buffer.alloc(0)
}

/** Writes raw bytes, possibly in small pieces, and waits for the server to answer or close (bounded). */
function rawExchange(port: number, pieces: Buffer[], waitMs = 400): Promise<void> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1')
    const done = () => {
      clearTimeout(timer)
      s.destroy()
      resolve()
    }
    const timer = setTimeout(done, waitMs)
    s.on('error', done)
    s.on('close', done)
    s.on('data', () => {
      // An answer arrived: enough for this case (keep-alive would hold the socket open).
      setTimeout(done, 5)
    })
    s.on('connect', () => {
      for (const p of pieces) s.write(p)
    })
  })
}

function httpRequest(r: () => number, token: string): Buffer[] {
  const method = pick(r, ['GET', 'POST', 'HEAD', 'PUT', 'OPTIONS', 'DELETE', 'G\u00ffT', 'CONNECT'])
  const authed = r() < 0.5
  const api = r() < 0.6
  const name = r() < 0.6 ? pick(r, HOSTILE_METHODS) : pick(r, SAFE_METHODS)
  const target = r() < 0.4 ? pick(r, TARGETS) : api ? `/api/${encodeURI(name).replace(/%25/g, '%')}` : '/'
  const headers = [`Host: ${pick(r, ['x', '127.0.0.1', '', '[', '%'])}`]
  if (r() < 0.5) headers.push(`Cookie: ${pick(r, COOKIES)}`)
  if (authed) headers.push(`Authorization: Bearer ${token}`)
  else if (r() < 0.3) headers.push(`Authorization: ${pick(r, AUTHS)}`)
  if (r() < 0.2) headers.push(`Origin: ${pick(r, ORIGINS)}`)
  if (r() < 0.1) headers.push(`Upgrade: websocket`, 'Connection: Upgrade', 'Sec-WebSocket-Version: 13', `Sec-WebSocket-Key: ${pick(r, ['dGhlIHNhbXBsZSBub25jZQ==', '', '%'])}`)
  const body = randomBody(r)
  const chunked = r() < 0.2
  if (chunked) headers.push('Transfer-Encoding: chunked')
  else headers.push(`Content-Length: ${r() < 0.15 ? pick(r, ['-1', 'abc', '99999999', '1e3', String(body.length + 5)]) : body.length}`)
  if (r() < 0.1) headers.push(`X-Bad: ${randomBytes(r, 8).toString('latin1')}`)
  const head = Buffer.from(`${method} ${target} HTTP/1.1\r\n${headers.join('\r\n')}\r\n\r\n`, 'latin1')
  const payload = chunked ? Buffer.concat([Buffer.from(`${r() < 0.3 ? 'zz' : body.length.toString(16)}\r\n`), body, Buffer.from(r() < 0.5 ? '\r\n0\r\n\r\n' : '')]) : body
  // Split anywhere, so multibyte characters and headers straddle TCP chunks.
  const all = Buffer.concat([head, payload])
  const cut = Math.floor(r() * all.length)
  return r() < 0.5 ? [all] : [all.subarray(0, cut), all.subarray(cut)]
}

function garbageLine(r: () => number): Buffer[] {
  const forms = [
    () => Buffer.from('GET //[ HTTP/1.1\r\nHost: x\r\n\r\n'),
    () => Buffer.from(`GET / HTTP/1.1\r\nHost: x\r\nCookie: xlab_token=%\r\n\r\n`),
    () => Buffer.from(`GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nCookie: xlab_token=%\r\n\r\n`),
    () => Buffer.from(`GET //[ HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`),
    () => randomBytes(r, 1 + Math.floor(r() * 200)),
    () => Buffer.from(`GET / HTTP/9.9\r\n\r\n`),
    () => Buffer.from(`GET / HTTP/1.1\r\n${'X: y\r\n'.repeat(3000)}\r\n`),
    () => Buffer.from('\r\n\r\n\r\n'),
  ]
  return [pick(r, forms)()]
}

/** A WebSocket session (with or without the token) that sends random frames. */
function wsCase(r: () => number, token: string): FuzzCase['send'] {
  const authed = r() < 0.7
  const seedFrames = Array.from({ length: 1 + Math.floor(r() * 6) }, () => {
    const k = Math.floor(r() * 6)
    if (k === 0) return randomBytes(r, Math.floor(r() * 100))
    if (k === 1) return JSON.stringify(randomJson(r))
    if (k === 2) return JSON.stringify({ kind: 'request', id: pick(r, ['1', '', 'x'.repeat(200), '__proto__']), method: r() < 0.5 ? pick(r, HOSTILE_METHODS) : pick(r, SAFE_METHODS), input: randomJson(r) })
    if (k === 3) return JSON.stringify({ kind: 'cancel', id: pick(r, ['1', '__proto__', 'constructor']) })
    if (k === 4) return '{"kind":"request","id":"7","method":"studies.list","input":{}}'
    return pick(r, ['', 'null', '[]', '"x"', '{"kind":"request"}', '\u{1F600}'])
  })
  const path = authed ? `/ws?token=${token}` : pick(r, ['/ws', '/ws?token=%', '/ws?token=wrong', '//['])
  const headers: Record<string, string> = r() < 0.3 ? { cookie: pick(r, COOKIES) } : {}
  return (port) =>
    new Promise<void>((resolve) => {
      let ws: WebSocket
      try {
        ws = new WebSocket(`ws://127.0.0.1:${port}${path}`, { headers })
      } catch {
        return resolve()
      }
      const end = () => {
        clearTimeout(timer)
        ws.terminate()
        resolve()
      }
      const timer = setTimeout(end, 500)
      ws.on('error', end)
      ws.on('unexpected-response', end)
      ws.on('close', end)
      ws.on('open', () => {
        for (const f of seedFrames) ws.send(f)
        // An invalid frame (reserved opcode 0x3) straight onto the socket: the server must drop only this client.
        const raw = (ws as unknown as { _socket?: { write(b: Buffer): void } })._socket
        if (r() < 0.3 && raw) raw.write(Buffer.from([0x83, 0x80, 0, 0, 0, 0]))
        setTimeout(end, 60)
      })
    })
}

/** `count` seeded cases. */
export function fuzzCases(seed: number, count: number, token: string): FuzzCase[] {
  const r = mulberry32(seed)
  const out: FuzzCase[] = []
  for (let i = 0; i < count; i++) {
    const k = r()
    if (k < 0.55) {
      const pieces = httpRequest(r, token)
      out.push({ label: `http#${i}: ${pieces.map((p) => p.toString('latin1')).join('').slice(0, 120)}`, send: (port) => rawExchange(port, pieces) })
    } else if (k < 0.75) {
      const pieces = garbageLine(r)
      out.push({ label: `raw#${i}: ${pieces[0]!.toString('latin1').slice(0, 80)}`, send: (port) => rawExchange(port, pieces) })
    } else out.push({ label: `ws#${i}`, send: wsCase(r, token) })
  }
  return out
}
