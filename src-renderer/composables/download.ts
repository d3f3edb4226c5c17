// Saves generated files (CSV, PNG) through a temporary link: works in Electron and the browser.
export function downloadText(name: string, text: string, type = 'text/csv'): void {
  downloadUrl(name, URL.createObjectURL(new Blob([text], { type })), true)
}

export function downloadUrl(name: string, url: string, revoke = false): void {
  const a = document.createElement('a')
  a.href = url
  a.download = name
  document.body.appendChild(a)
  a.click()
  a.remove()
  if (revoke) setTimeout(() => URL.revokeObjectURL(url), 1000)
}
