// Light and dark themes: follows the system until the user picks one; remembered per browser.
import { ref, watchEffect } from 'vue'
import { palette } from './chart-kit.ts'

export type Theme = 'light' | 'dark'
const KEY = 'xlab-theme'

function initial(): Theme {
  const saved = typeof localStorage !== 'undefined' ? localStorage.getItem(KEY) : null
  if (saved === 'light' || saved === 'dark') return saved
  return typeof matchMedia !== 'undefined' && matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light'
}

const theme = ref<Theme>(initial())
watchEffect(() => {
  if (typeof document !== 'undefined') document.documentElement.dataset.theme = theme.value
})

export function useTheme() {
  return {
    theme,
    toggle() {
      theme.value = theme.value === 'dark' ? 'light' : 'dark'
      localStorage.setItem(KEY, theme.value)
    },
  }
}

/** Colours for charts: text, grid and background from the CSS variables of the active theme, and its 12-colour categorical palette. */
export function chartColors() {
  const s = getComputedStyle(document.documentElement)
  const v = (name: string, fallback: string) => s.getPropertyValue(name).trim() || fallback
  return { background: v('--bg', '#fff'), text: v('--fg', '#222'), muted: v('--muted', '#667'), grid: v('--border', '#ccc'), series: palette(12, theme.value) }
}
