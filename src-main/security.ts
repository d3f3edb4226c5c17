// Renderer hardening: secure webPreferences, no new windows, no navigation away from the app,
// no permission grants, and a strict CSP on every response of the app's session.
import type { Session, WebContents, WebPreferences } from 'electron'
import { RENDERER_CSP } from '../src-core/server/static-files.ts'

/** The desktop renderer gets the same CSP as the page `xlab serve` sends: one policy, one place. */
export const DESKTOP_CSP = RENDERER_CSP

/** webPreferences for the app window: isolated, sandboxed, no Node in the page. */
export function secureWebPreferences(preload: string): WebPreferences {
  return { preload, contextIsolation: true, sandbox: true, nodeIntegration: false, nodeIntegrationInWorker: false, webSecurity: true, webviewTag: false, spellcheck: false }
}

/** The parts of WebContents the hardening uses. */
export type HardenableContents = Pick<WebContents, 'setWindowOpenHandler' | 'on'>

/** Denies new windows, navigation away from the app's own URL, and <webview>. */
export function hardenWebContents(contents: HardenableContents, isAppUrl: (url: string) => boolean): void {
  contents.setWindowOpenHandler(() => ({ action: 'deny' }))
  contents.on('will-navigate', (event, url) => {
    if (!isAppUrl(url)) event.preventDefault()
  })
  contents.on('will-redirect', (event, url) => {
    if (!isAppUrl(url)) event.preventDefault()
  })
  contents.on('will-attach-webview', (event) => event.preventDefault())
}

/** The parts of Session the hardening uses. */
export type HardenableSession = { setPermissionRequestHandler: Session['setPermissionRequestHandler']; setPermissionCheckHandler: Session['setPermissionCheckHandler']; webRequest: Pick<Session['webRequest'], 'onHeadersReceived'> }

/** No permission is ever granted (camera, notifications, ...) and every response carries the CSP. */
export function hardenSession(session: HardenableSession): void {
  session.setPermissionRequestHandler((_wc, _permission, callback) => callback(false))
  session.setPermissionCheckHandler(() => false)
  session.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [DESKTOP_CSP] } })
  })
}

/** True for the app's own pages: the bundled file, or the dev server in `npm start`. */
export function makeAppUrlCheck(devServerUrl: string | undefined, rendererFile: string): (url: string) => boolean {
  return (url) => {
    try {
      const u = new URL(url)
      if (devServerUrl) return u.origin === new URL(devServerUrl).origin
      return u.protocol === 'file:' && decodeURIComponent(u.pathname) === rendererFile.replace(/\\/g, '/')
    } catch {
      return false
    }
  }
}
