// The folder chooser of the browser app (`xlab serve`): the allowed folders and the sub-folders
// inside them, listed by the service through its PathGuard, so no path has to be typed blind. The
// desktop app uses the system's folder dialog instead.
import { z } from 'zod'
import { method } from './contract.ts'

export const folderListingSchema = z.object({
  /** The folder listed, or null for the list of allowed folders. */
  path: z.string().nullable(),
  /** Its parent when inside an allowed folder, else null. */
  parent: z.string().nullable(),
  folders: z.array(z.object({ name: z.string(), path: z.string() })),
  files: z.number(),
  images: z.number(),
  /** Entries left out: links leading outside the allowed folders. */
  hidden: z.number(),
  truncated: z.boolean(),
})

export const foldersApi = {
  'folders.list': method(
    z.object({ path: z.string().nullable().optional() }),
    folderListingSchema,
    'Without a path, the folders the lab may read; with one inside them, its sub-folders (a path outside is refused, links included).',
  ),
}

export const foldersEvents = {}
