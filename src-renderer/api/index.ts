// Picks the transport once: window.lab in Electron, otherwise the WebSocket of `xlab serve`.
// Stores get the client through useLab(); tests install a fake with setLab().
import { createLabClient, type LabApi } from './client.ts'
import { createBridgeTransport } from './bridge-transport.ts'
import { createWebSocketTransport, socketUrlFor } from './ws-transport.ts'
import type { Transport } from './transport.ts'

let client: LabApi | undefined
let transport: Transport | undefined

/** The API client of this page. */
export function useLab(): LabApi {
  if (!client) {
    transport = window.lab ? createBridgeTransport(window.lab) : createWebSocketTransport(socketUrlFor(window.location))
    client = createLabClient(transport)
  }
  return client
}

/** The transport under the client (status bar). */
export function useTransport(): Transport | undefined {
  useLab()
  return transport
}

/** Replaces the client (tests). */
export function setLab(c: LabApi, t?: Transport): void {
  client = c
  transport = t
}

/** Native folder picker in Electron (adds the folder to the allowed list); undefined in the browser. */
export async function pickFolder(title: string): Promise<string | undefined> {
  return window.lab ? ((await window.lab.pickFolder(title)) ?? undefined) : undefined
}

/** Native file picker (CSV and the like) in Electron; undefined in the browser. */
export async function pickFile(title: string, extensions: string[]): Promise<string | undefined> {
  return window.lab ? ((await window.lab.pickFile(title, extensions)) ?? undefined) : undefined
}

/** True in the desktop app (native pickers available). */
export function isDesktop(): boolean {
  return typeof window !== 'undefined' && window.lab !== undefined
}
