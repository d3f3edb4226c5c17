// The study report as the app's sandboxed iframe shows it. In a srcdoc frame, "#summary" resolves
// against the app's URL, so the report's contents links navigated the frame to the app page (which
// X-Frame-Options forbids: a console error and a blank frame); a base of about:srcdoc keeps them
// fragment links. In the dark theme a small override darkens the page the report styles light.

const DARK = `<style>body{background:#16191d!important;color:#e3e7eb!important}main{background:#1f2429!important}` +
  `th{background:#2a3037!important}th,td{border-color:#38414a!important}.muted{color:#9aa6b2!important}` +
  `.box{background:#262c33!important}pre{background:#262c33!important;color:#e3e7eb}a{color:#6ea8ff}` +
  `svg{background:#fff;border-radius:4px}.better{color:#6fd39b!important}.worse{color:#ff8a80!important}.none{color:#c0c8d0!important}</style>`

/** The srcdoc for the report frame. */
export function reportFrameDocument(html: string, theme: 'light' | 'dark'): string {
  const extra = `<base href="about:srcdoc">${theme === 'dark' ? DARK : ''}`
  const i = html.search(/<head[^>]*>/i)
  if (i < 0) return extra + html
  const end = html.indexOf('>', i) + 1
  return html.slice(0, end) + extra + html.slice(end)
}
