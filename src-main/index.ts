// Electron main: one window, single instance, the lab service in a utilityProcess, pickers, menu,
// window state. The only code that imports 'electron'; everything it wires is tested with fakes.
import { BrowserWindow, Menu, MessageChannelMain, app, dialog, ipcMain, screen, session, shell, utilityProcess } from 'electron'
import { join } from 'node:path'
import { resolveDataRoot } from '../src-core/config/paths.ts'
import { menuTemplate } from './menu.ts'
import { registerPickers } from './pickers.ts'
import { hardenSession, hardenWebContents, makeAppUrlCheck, secureWebPreferences } from './security.ts'
import { LabServiceHost } from './service-host.ts'
import { serviceEnv } from './service-env.ts'
import { autoUpdateEnabled, startAutoUpdates } from './updater.ts'
import { loadWindowState, saveWindowState } from './window-state.ts'

const log = (m: string) => process.stderr.write(`[${new Date().toISOString()}] [main] [pid ${process.pid}] ${m}\n`)
const rendererFile = join(import.meta.dirname, '../renderer/index.html')
const devUrl = process.env.ELECTRON_RENDERER_URL
const isAppUrl = makeAppUrlCheck(devUrl, rendererFile)
const dataRoot = resolveDataRoot()
let win: BrowserWindow | null = null

const host = new LabServiceHost({
  fork: () => utilityProcess.fork(join(import.meta.dirname, 'lab-service.js'), [`--data=${dataRoot}`], { serviceName: 'X-Ray SSL Lab service', stdio: 'inherit', env: serviceEnv(process.env, { isPackaged: app.isPackaged, resourcesPath: process.resourcesPath }) }),
  createChannel: () => new MessageChannelMain(),
  log,
})

if (!app.requestSingleInstanceLock()) {
  app.quit()
} else {
  app.on('second-instance', () => {
    if (win) {
      if (win.isMinimized()) win.restore()
      win.focus()
    }
  })
  app.on('web-contents-created', (_e, contents) => hardenWebContents(contents, isAppUrl))
  app.whenReady().then(() => {
    hardenSession(session.defaultSession)
    registerPickers(ipcMain, (opts) => (win ? dialog.showOpenDialog(win, opts) : dialog.showOpenDialog(opts)), (dir) => host.allow(dir), isAppUrl)
    Menu.setApplicationMenu(
      Menu.buildFromTemplate(
        menuTemplate({ showView: (v) => win?.webContents.executeJavaScript(`location.hash = ${JSON.stringify(`#/${v}`)}`), openDataFolder: () => void shell.openPath(dataRoot) }, process.platform === 'darwin'),
      ),
    )
    host.start()
    createWindow()
    void startAutoUpdates({
      enabled: autoUpdateEnabled(process.env, join(app.getPath('userData'), 'settings.json')),
      isPackaged: app.isPackaged,
      load: async () => (await import('electron-updater')).default.autoUpdater,
      log,
    })
    app.on('activate', () => {
      if (BrowserWindow.getAllWindows().length === 0) createWindow()
    })
  }, (err: unknown) => log(`startup failed: ${String(err)}`))
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit()
  })
  app.on('before-quit', (e) => {
    e.preventDefault()
    app.removeAllListeners('before-quit')
    void host.stop().finally(() => app.quit())
  })
}

function createWindow() {
  const stateFile = join(app.getPath('userData'), 'window-state.json')
  const state = loadWindowState(stateFile, screen.getAllDisplays().map((d) => d.workArea))
  win = new BrowserWindow({ ...state, show: false, title: 'X-Ray SSL Lab', webPreferences: secureWebPreferences(join(import.meta.dirname, '../preload/index.cjs')) })
  if (state.maximized) win.maximize()
  const contents = win.webContents
  win.once('ready-to-show', () => win?.show())
  contents.on('did-finish-load', () => host.connect(contents))
  win.on('close', () => {
    if (!win) return
    saveWindowState(stateFile, { ...win.getNormalBounds(), maximized: win.isMaximized() })
  })
  win.on('closed', () => {
    host.disconnect(contents)
    win = null
  })
  if (devUrl) void win.loadURL(devUrl)
  else void win.loadFile(rendererFile)
}
