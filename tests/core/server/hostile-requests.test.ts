// Requests that used to crash or confuse `xlab serve`, each answered cleanly now.
import { mkdtempSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startLabServer, type LabServer } from '../../../src-core/server/http-server.ts'
import { LabService } from '../../../src-core/service/lab-service.ts'
import { fakeService } from './fake-service.ts'

const TOKEN = 'test-token-0123456789abcdef'
let fake: LabServer
let real: LabServer
let service: LabService

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'xlab-hostile-'))
  writeFileSync(join(dir, 'index.html'), '<!doctype html>')
  fake = await startLabServer({ service: fakeService(), host: '127.0.0.1', port: 0, token: TOKEN, rendererDir: dir })
  service = await LabService.open({ dataRoot: join(dir, 'data'), startQueue: false })
  real = await startLabServer({ service, host: '127.0.0.1', port: 0, token: TOKEN, rendererDir: dir })
})
afterAll(async () => {
  await fake.close()
  await real.close()
  await service.close()
})

/** POSTs the body in the given pieces, with a pause between them so they arrive as separate TCP chunks. */
function postInPieces(port: number, path: string, pieces: Buffer[]): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const total = pieces.reduce((a, p) => a + p.length, 0)
    const req = request({ host: '127.0.0.1', port, path, method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-length': total } }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks).toString('utf8') }))
    })
    req.on('error', reject)
    let i = 0
    const next = () => {
      if (i === pieces.length) return void req.end()
      req.write(pieces[i++]!)
      setTimeout(next, 30)
    }
    req.flushHeaders()
    next()
  })
}

describe('hostile requests', () => {
  it('keeps a UTF-8 character that is split across two TCP chunks', async () => {
    const body = Buffer.from(JSON.stringify({ note: 'grüße 中 😀' }))
    const cut = body.indexOf(Buffer.from('😀')) + 2
    const res = await postInPieces(fake.port, '/api/echo', [body.subarray(0, cut), body.subarray(cut)])
    expect(res.status).toBe(200)
    expect(JSON.parse(res.body)).toEqual({ ok: true, result: { note: 'grüße 中 😀' } })
  })

  it.each(['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf'])('answers the method name %s with 404, not 500', async (name) => {
    const res = await fetch(`http://127.0.0.1:${real.port}/api/${name}`, { method: 'POST', body: '{}', headers: { authorization: `Bearer ${TOKEN}` } })
    expect(res.status).toBe(404)
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain(`no API method called "${name}"`)
  })

  it('answers a method name that is not valid percent-encoding with 404', async () => {
    const res = await fetch(`http://127.0.0.1:${real.port}/api/%E0%A4%A`, { method: 'POST', body: '{}', headers: { authorization: `Bearer ${TOKEN}` } })
    expect(res.status).toBe(404)
  })

  it('treats an undecodable token cookie as no token', async () => {
    const res = await fetch(`http://127.0.0.1:${real.port}/`, { headers: { cookie: 'xlab_token=%' } })
    expect(res.status).toBe(401)
    expect((await fetch(`http://127.0.0.1:${real.port}/?token=${TOKEN}`)).status).toBe(200)
  })
})
