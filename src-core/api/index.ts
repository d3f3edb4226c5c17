// The whole typed API: every domain's methods and events, merged. The renderer imports types only.
import type { ApiClient } from './contract.ts'

export const apiMethods = {} as const

export const apiEvents = {} as const

export type ApiMethods = typeof apiMethods
export type ApiEvents = typeof apiEvents
export type LabClient = ApiClient<ApiMethods, ApiEvents>
