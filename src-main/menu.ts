// The application menu: standard edit/view/window roles plus the lab's views (Alt+1..6 in the page).
import type { MenuItemConstructorOptions } from 'electron'

/** What the menu can ask the app to do. */
export interface MenuActions {
  /** Shows a view by its hash name. */
  showView(view: string): void
  /** Opens the data folder in the file manager. */
  openDataFolder(): void
}

const VIEWS: [string, string][] = [['datasets', 'Datasets'], ['builder', 'Study builder'], ['runs', 'Runs'], ['results', 'Results'], ['compare', 'Compare'], ['environment', 'Environment']]

export function menuTemplate(actions: MenuActions, isMac: boolean): MenuItemConstructorOptions[] {
  return [
    ...(isMac ? [{ role: 'appMenu' as const }] : []),
    { label: 'File', submenu: [{ label: 'Open data folder', click: () => actions.openDataFolder() }, { type: 'separator' }, isMac ? { role: 'close' } : { role: 'quit' }] },
    { role: 'editMenu' },
    {
      label: 'Go',
      submenu: VIEWS.map(([v, label], i) => ({ label, accelerator: `CmdOrCtrl+${i + 1}`, click: () => actions.showView(v) })),
    },
    { label: 'View', submenu: [{ role: 'reload' }, { role: 'toggleDevTools' }, { type: 'separator' }, { role: 'resetZoom' }, { role: 'zoomIn' }, { role: 'zoomOut' }, { type: 'separator' }, { role: 'togglefullscreen' }] },
    { role: 'windowMenu' },
  ]
}
