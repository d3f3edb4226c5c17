// The preload (sandboxed): exposes exactly one object, window.lab; never ipcRenderer itself.
import { contextBridge, ipcRenderer } from 'electron'
import { createBridge, type BridgeIpc } from './bridge.ts'

contextBridge.exposeInMainWorld('lab', createBridge(ipcRenderer as unknown as BridgeIpc))
