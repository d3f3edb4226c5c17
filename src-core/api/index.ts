// The whole typed API: every domain's methods and events, merged. The renderer imports types only.
import type { ApiClient } from './contract.ts'
import { datasetsApi, datasetsEvents } from './datasets.ts'
import { encodersApi, encodersEvents } from './encoders.ts'
import { environmentApi, environmentEvents } from './environment.ts'
import { foldersApi, foldersEvents } from './folders.ts'
import { galleryApi, galleryEvents } from './gallery.ts'
import { notesApi, notesEvents } from './notes.ts'
import { resultsApi, resultsEvents } from './results.ts'
import { runsApi, runsEvents } from './runs.ts'
import { storageApi, storageEvents } from './storage.ts'
import { studiesApi, studiesEvents } from './studies.ts'

export const apiMethods = {
  ...datasetsApi,
  ...studiesApi,
  ...runsApi,
  ...resultsApi,
  ...galleryApi,
  ...environmentApi,
  ...notesApi,
  ...storageApi,
  ...encodersApi,
  ...foldersApi,
} as const

export const apiEvents = {
  ...datasetsEvents,
  ...studiesEvents,
  ...runsEvents,
  ...resultsEvents,
  ...galleryEvents,
  ...environmentEvents,
  ...notesEvents,
  ...storageEvents,
  ...encodersEvents,
  ...foldersEvents,
} as const

export type ApiMethods = typeof apiMethods
export type ApiEvents = typeof apiEvents
export type LabClient = ApiClient<ApiMethods, ApiEvents>
