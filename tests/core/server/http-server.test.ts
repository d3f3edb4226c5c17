// `xlab serve`'s transport on a real socket: token on every request and socket, origin check,
// static files without traversal, API over POST and WebSocket, against the real lab service.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { startLabServer, type LabServer } from '../../../src-core/server/http-server.ts'
import { LabService } from '../../../src-core/service/lab-service.ts'

const TOKEN = 'test-token-0123456789abcdef'
let server: LabServer
let service: LabService
let base: string

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'xlab-serve-'))
  const renderer = join(dir, 'renderer')
  mkdirSync(renderer)
  writeFileSync(join(renderer, 'index.html'), '<!doctype html><title>lab</title>')
  writeFileSync(join(dir, 'secret.txt'), 'secret')
  service = await LabService.open({ dataRoot: join(dir, 'data'), startQueue: false })
  server = await startLabServer({ service, host: '127.0.0.1', port: 0, token: TOKEN, rendererDir: renderer })
  base = `http://127.0.0.1:${server.port}`
})
afterAll(async () => {
  await server.close()
  await service.close()
})

function openSocket(url: string, headers: Record<string, string> = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers })
    ws.once('open', () => resolve(ws))
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)))
    ws.once('error', reject)
  })
}

describe('xlab serve transport', () => {
  it('prints a URL with the token and serves the page with a CSP and a token cookie', async () => {
    expect(server.url).toBe(`${base}/?token=${TOKEN}`)
    const res = await fetch(server.url)
    expect(res.status).toBe(200)
    expect(await res.text()).toContain('<title>lab</title>')
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'")
    expect(res.headers.get('x-frame-options')).toBe('DENY')
    expect(res.headers.get('set-cookie')).toContain('HttpOnly')
    const again = await fetch(`${base}/assets/x.js`, { headers: { cookie: `xlab_token=${TOKEN}` } })
    expect(again.status).toBe(200)
  })

  it('refuses requests without the right token', async () => {
    expect((await fetch(`${base}/`)).status).toBe(401)
    expect((await fetch(`${base}/?token=wrong`)).status).toBe(401)
    const api = await fetch(`${base}/api/studies.list`, { method: 'POST', body: '{}' })
    expect(api.status).toBe(401)
    expect(((await api.json()) as { error: { message: string } }).error.message).toContain('token')
  })

  it('refuses other origins even with the token', async () => {
    const res = await fetch(`${base}/api/studies.list`, { method: 'POST', body: '{}', headers: { authorization: `Bearer ${TOKEN}`, origin: 'http://evil.example' } })
    expect(res.status).toBe(403)
  })

  it('never serves files outside the renderer folder', async () => {
    const res = await fetch(`${base}/..%2fsecret.txt?token=${TOKEN}`)
    expect(await res.text()).not.toContain('secret')
    const malformed = await fetch(`${base}/%E0%A4%A?token=${TOKEN}`)
    expect(malformed.status).toBe(400)
    expect((await fetch(server.url)).status).toBe(200)
  })

  it('answers API calls over POST with the service errors', async () => {
    const ok = await fetch(`${base}/api/studies.presets`, { method: 'POST', body: '{}', headers: { authorization: `Bearer ${TOKEN}` } })
    const body = (await ok.json()) as { ok: boolean; result: { name: string }[] }
    expect(body.ok).toBe(true)
    expect(body.result.map((p: { name: string }) => p.name)).toContain('demo')
    const missing = await fetch(`${base}/api/nope.never`, { method: 'POST', body: '{}', headers: { authorization: `Bearer ${TOKEN}` } })
    expect(missing.status).toBe(404)
    const bad = await fetch(`${base}/api/studies.get`, { method: 'POST', body: '{not json', headers: { authorization: `Bearer ${TOKEN}` } })
    expect(bad.status).toBe(400)
  })

  it('refuses sockets without the token or from another origin, and serves the wire protocol to good ones', async () => {
    await expect(openSocket(`ws://127.0.0.1:${server.port}/ws`)).rejects.toThrow('401')
    await expect(openSocket(`ws://127.0.0.1:${server.port}/ws?token=${TOKEN}`, { origin: 'http://evil.example' })).rejects.toThrow('403')
    const ws = await openSocket(`ws://127.0.0.1:${server.port}/ws?token=${TOKEN}`, { origin: base })
    const reply = new Promise<unknown>((resolve) => ws.once('message', (d) => resolve(JSON.parse(String(d)))))
    ws.send(JSON.stringify({ kind: 'request', id: '1', method: 'studies.list', input: {} }))
    expect(await reply).toEqual({ kind: 'response', id: '1', ok: true, result: [] })
    const event = new Promise<unknown>((resolve) => ws.once('message', (d) => resolve(JSON.parse(String(d)))))
    service.ctx.events.emit('onStudyState', { studyId: 's1', state: 'running' })
    expect(await event).toEqual({ kind: 'event', event: 'onStudyState', payload: { studyId: 's1', state: 'running' } })
    ws.close()
  })
})
