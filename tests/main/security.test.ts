// Window and session hardening with fake WebContents and Session objects.
import { describe, expect, it } from 'vitest'
import { DESKTOP_CSP, hardenSession, hardenWebContents, makeAppUrlCheck, secureWebPreferences, type HardenableContents, type HardenableSession } from '../../src-main/security.ts'

describe('security', () => {
  it('keeps the renderer isolated and sandboxed without Node', () => {
    const p = secureWebPreferences('/app/preload/index.cjs')
    expect(p).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false, webviewTag: false, preload: '/app/preload/index.cjs' })
  })

  it('denies new windows, foreign navigation and webviews', () => {
    const handlers: Record<string, (e: { preventDefault(): void; defaultPrevented?: boolean }, url?: string) => void> = {}
    let openHandler: (() => { action: string }) | undefined
    const contents = { setWindowOpenHandler: (h: () => { action: string }) => (openHandler = h), on: (ev: string, l: never) => (handlers[ev] = l) } as unknown as HardenableContents
    const isApp = makeAppUrlCheck(undefined, '/app/renderer/index.html')
    hardenWebContents(contents, isApp)
    expect(openHandler!().action).toBe('deny')
    const nav = (url: string) => {
      let prevented = false
      handlers['will-navigate']!({ preventDefault: () => (prevented = true) }, url)
      return prevented
    }
    expect(nav('https://example.com/')).toBe(true)
    expect(nav('file:///etc/passwd')).toBe(true)
    expect(nav('file:///app/renderer/index.html#/runs')).toBe(false)
    let webview = false
    handlers['will-attach-webview']!({ preventDefault: () => (webview = true) })
    expect(webview).toBe(true)
  })

  it('accepts only the dev server origin in development', () => {
    const isApp = makeAppUrlCheck('http://localhost:5173', '/x/index.html')
    expect(isApp('http://localhost:5173/#/results')).toBe(true)
    expect(isApp('http://localhost:5174/')).toBe(false)
    expect(isApp('not a url')).toBe(false)
  })

  it('refuses every permission and adds the CSP to every response', () => {
    let permission: ((wc: unknown, p: string, cb: (ok: boolean) => void) => void) | undefined
    let check: (() => boolean) | undefined
    let headers: ((d: { responseHeaders?: Record<string, string[]> }, cb: (r: { responseHeaders: Record<string, string[]> }) => void) => void) | undefined
    const session = {
      setPermissionRequestHandler: (h: never) => (permission = h),
      setPermissionCheckHandler: (h: never) => (check = h),
      webRequest: { onHeadersReceived: (h: never) => (headers = h) },
    } as unknown as HardenableSession
    hardenSession(session)
    let granted: boolean | undefined
    permission!(null, 'media', (ok) => (granted = ok))
    expect(granted).toBe(false)
    expect(check!()).toBe(false)
    let out: Record<string, string[]> = {}
    headers!({ responseHeaders: { 'X-A': ['1'] } }, (r) => (out = r.responseHeaders))
    expect(out['Content-Security-Policy']).toEqual([DESKTOP_CSP])
    expect(out['X-A']).toEqual(['1'])
    expect(DESKTOP_CSP).toContain("script-src 'self'")
    expect(DESKTOP_CSP).not.toContain('unsafe-eval')
  })
})
