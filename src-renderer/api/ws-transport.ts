// `xlab serve`: wire messages as JSON over a WebSocket to the page's own origin. The token rides
// in the HttpOnly cookie set by the page load (and in the query, kept for reloads in this tab).
import type { ClientMessage, ServerMessage, Transport, TransportStatus } from './transport.ts'

export function createWebSocketTransport(url: string, WebSocketImpl: typeof WebSocket = WebSocket): Transport {
  const listeners = new Set<(m: ServerMessage) => void>()
  const statusListeners = new Set<(s: TransportStatus) => void>()
  const queue: string[] = []
  const ws = new WebSocketImpl(url)
  const setStatus = (s: TransportStatus) => statusListeners.forEach((l) => l(s))
  ws.addEventListener('open', () => {
    setStatus({ state: 'open' })
    for (const m of queue.splice(0)) ws.send(m)
  })
  ws.addEventListener('message', (e: MessageEvent) => {
    let msg: ServerMessage
    try {
      msg = JSON.parse(String(e.data)) as ServerMessage
    } catch {
      return
    }
    listeners.forEach((l) => l(msg))
  })
  ws.addEventListener('close', (e: CloseEvent) => setStatus({ state: 'closed', reason: e.reason || `socket closed (code ${e.code}); the server may have stopped or refused the token` }))
  return {
    send(message: ClientMessage) {
      const text = JSON.stringify(message)
      if (ws.readyState === WebSocketImpl.OPEN) ws.send(text)
      else queue.push(text)
    },
    subscribe(l) {
      listeners.add(l)
      return () => listeners.delete(l)
    },
    onStatus(l) {
      statusListeners.add(l)
      return () => statusListeners.delete(l)
    },
  }
}

/** The socket URL for a page served by `xlab serve` (same host, token from the page URL if present). */
export function socketUrlFor(location: Pick<Location, 'protocol' | 'host' | 'search'>): string {
  const token = new URLSearchParams(location.search).get('token')
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:'
  return `${proto}//${location.host}/ws${token ? `?token=${encodeURIComponent(token)}` : ''}`
}
