// Handlers of the folder chooser (src-core/api/folders.ts): listings through the PathGuard.
import type { Handlers } from '../api/contract.ts'
import type { foldersApi } from '../api/folders.ts'
import type { DomainFactory } from './context.ts'
import { listFolder } from './path-guard.ts'

export const foldersDomain: DomainFactory = (ctx) => {
  const handlers: Handlers<typeof foldersApi> = {
    'folders.list': async ({ path }) => listFolder(ctx.pathGuard, path),
  }
  return { handlers }
}
