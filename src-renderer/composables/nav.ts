// The views, addressed by the URL hash (#/datasets ...) so reloads and the Back key work.
import { ref } from 'vue'

export const VIEWS = ['datasets', 'builder', 'runs', 'results', 'compare', 'storage', 'environment'] as const
export type ViewName = (typeof VIEWS)[number]

function fromHash(hash: string): ViewName {
  const v = hash.replace(/^#\/?/, '').split('?')[0] as ViewName
  return VIEWS.includes(v) ? v : 'datasets'
}

const current = ref<ViewName>(typeof window === 'undefined' ? 'datasets' : fromHash(window.location.hash))
if (typeof window !== 'undefined') window.addEventListener('hashchange', () => (current.value = fromHash(window.location.hash)))

/** The current view and a way to go to another one. */
export function useNav() {
  return {
    current,
    go(view: ViewName) {
      current.value = view
      if (typeof window !== 'undefined') window.location.hash = `#/${view}`
    },
  }
}
