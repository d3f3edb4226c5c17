// The study report as the app's sandboxed iframe shows it. In a srcdoc frame, "#summary" resolves
// against the app's URL, so the report's contents links navigated the frame to the app page (which
// X-Frame-Options forbids: a console error and a blank frame), and the app's CSP (base-uri 'none',
// inherited by srcdoc) forbids a <base> that would fix it. The frame therefore loads the report
// from a blob: URL of its own, against which "#summary" is a link inside the document. In the dark
// theme a small override darkens the page the report styles light.

const DARK = `<style>body{background:#16191d!important;color:#e3e7eb!important}main{background:#1f2429!important}` +
  `th{background:#2a3037!important}th,td{border-color:#38414a!important}.muted{color:#9aa6b2!important}` +
  `.box{background:#262c33!important}pre{background:#262c33!important;color:#e3e7eb}a{color:#6ea8ff}` +
  `svg{background:#fff;border-radius:4px}.better{color:#6fd39b!important}.worse{color:#ff8a80!important}.none{color:#c0c8d0!important}</style>`

/** The report page for the frame, in the theme's colours. */
export function reportFrameDocument(html: string, theme: 'light' | 'dark'): string {
  if (theme !== 'dark') return html
  const extra = DARK
  const i = html.search(/<head[^>]*>/i)
  if (i < 0) return extra + html
  const end = html.indexOf('>', i) + 1
  return html.slice(0, end) + extra + html.slice(end)
}

/** A blob: URL of the report page (the caller revokes it when the frame changes). */
export function reportFrameUrl(html: string, theme: 'light' | 'dark'): string {
  return URL.createObjectURL(new Blob([reportFrameDocument(html, theme)], { type: 'text/html' }))
}
