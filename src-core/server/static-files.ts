// Serves the built renderer (out/renderer) with a strict CSP; never anything outside that folder.
import { createReadStream, existsSync, statSync } from 'node:fs'
import type { ServerResponse } from 'node:http'
import { extname, join, relative, resolve, isAbsolute } from 'node:path'

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
}

/** The page's CSP: own scripts only, images from data URLs (thumbnails, charts), sockets to itself. */
export const RENDERER_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "frame-src 'self' blob: data:",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ')

/** Security headers on every response. */
export function setSecurityHeaders(res: ServerResponse): void {
  res.setHeader('Content-Security-Policy', RENDERER_CSP)
  res.setHeader('X-Content-Type-Options', 'nosniff')
  // Not CSP frame-ancestors: the report's srcdoc iframe inherits the page's CSP and would be blocked.
  res.setHeader('X-Frame-Options', 'DENY')
  res.setHeader('Referrer-Policy', 'no-referrer')
  res.setHeader('Cache-Control', 'no-store')
}

/** Streams a file from `root` for the URL path; unknown paths fall back to index.html. Returns false if the bundle is missing. */
export function serveStatic(root: string, urlPath: string, res: ServerResponse): boolean {
  const base = resolve(root)
  let rel: string
  try {
    rel = decodeURIComponent(urlPath.split('?')[0] ?? '/')
  } catch {
    res.writeHead(400).end('Malformed URL')
    return true
  }
  if (rel.endsWith('/')) rel += 'index.html'
  let file = resolve(join(base, rel))
  const inside = relative(base, file)
  if (inside.startsWith('..') || isAbsolute(inside)) {
    res.writeHead(404).end('Not found')
    return true
  }
  if (!existsSync(file) || !statSync(file).isFile()) file = join(base, 'index.html')
  if (!existsSync(file)) return false
  res.writeHead(200, { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream' })
  createReadStream(file).pipe(res)
  return true
}
