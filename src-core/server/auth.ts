// Who may talk to `xlab serve`: whoever holds the random token printed in its URL, from a page
// served by this same origin. The token travels as ?token=, an Authorization bearer, or the
// HttpOnly cookie the first page load sets (so the page's own assets and socket need no query).
import { randomBytes, timingSafeEqual } from 'node:crypto'
import type { IncomingMessage } from 'node:http'

export const TOKEN_COOKIE = 'xlab_token'

/** A fresh URL-safe random token (192 bits). */
export function newToken(): string {
  return randomBytes(24).toString('base64url')
}

/**
 * The request target as a URL, or null when it cannot be one (`//[`, `http://%`): everything here
 * runs before authentication, so a malformed target is a refusal, never an exception.
 */
export function requestUrl(req: IncomingMessage): URL | null {
  try {
    return new URL(req.url ?? '/', 'http://x')
  } catch {
    return null
  }
}

/** The token a request carries, if any, from the query, the Authorization header or the cookie. */
export function tokenOf(req: IncomingMessage): string | undefined {
  const q = requestUrl(req)?.searchParams.get('token')
  if (q) return q
  const auth = req.headers.authorization
  if (typeof auth === 'string' && auth.startsWith('Bearer ')) return auth.slice('Bearer '.length).trim()
  const cookie = req.headers.cookie
  if (typeof cookie === 'string') {
    for (const part of cookie.split(';')) {
      const [k, ...v] = part.trim().split('=')
      if (k === TOKEN_COOKIE) return decodeCookie(v.join('='))
    }
  }
  return undefined
}

/** A cookie value any page on localhost may have planted (`%`, `%E0%A4%A`): undecodable means no token. */
function decodeCookie(value: string): string | undefined {
  try {
    return decodeURIComponent(value)
  } catch {
    return undefined
  }
}

/** Constant-time comparison, so the token cannot be guessed byte by byte from timings. */
export function tokenMatches(expected: string, given: string | undefined): boolean {
  if (!given) return false
  const a = Buffer.from(expected)
  const b = Buffer.from(given)
  return a.length === b.length && timingSafeEqual(a, b)
}

/**
 * Browsers send Origin on sockets and cross-site requests; it must be this server's own origin
 * (by address or as localhost). Clients that send no Origin (curl, scripts) pass on the token alone.
 */
export function originAllowed(req: IncomingMessage, allowedOrigins: ReadonlySet<string>): boolean {
  const origin: unknown = req.headers.origin
  if (origin === undefined) return true
  if (typeof origin !== 'string') return false
  return allowedOrigins.has(origin)
}
