// Reference encoders: weights a user brings (a torchvision resnet18 state_dict), imported once
// under a name with their checksums and used by studies as `ref:<name>` (referenceEncoders).
import { z } from 'zod'
import { method } from './contract.ts'

const triple = z.tuple([z.number(), z.number(), z.number()])

/** A stored reference encoder. */
export const referenceEncoderSchema = z.object({
  /** Unique name; studies list it in referenceEncoders and fusion sets as `ref:<name>`. */
  name: z.string(),
  /** The lab's copy under the data root (what runs read). */
  path: z.string(),
  /** sha256 of that file (part of the identity of every run that reads it). */
  sha256: z.string(),
  /** The file that was imported. */
  sourcePath: z.string(),
  /** sha256 of the imported file. */
  sourceSha256: z.string(),
  /** Input normalisation given at import (per RGB channel), or null. */
  normalisation: z.object({ mean: triple, std: triple }).nullable(),
  /** Parameters of the encoder. */
  parameters: z.number(),
  /** ISO time of the import. */
  importedAt: z.string(),
})

export const encodersApi = {
  'encoders.list': method(z.object({}), z.array(referenceEncoderSchema), 'The imported reference encoders.'),
  'encoders.import': method(
    z.object({
      /** The file: a torchvision resnet18 state_dict (.pth / .pt / .safetensors). */
      path: z.string().min(1),
      /** The name studies use. */
      name: z.string().min(1),
      /** Normalisation the encoder was trained with (both or neither), e.g. ImageNet's. */
      mean: triple.optional(),
      std: triple.optional(),
    }),
    referenceEncoderSchema.extend({ created: z.boolean() }),
    'Imports a reference encoder under a name (checked and converted by the engine). The same file again is a no-op (created: false); another file under a taken name is refused.',
  ),
} as const

export const encodersEvents = {
  /** A reference encoder was imported. */
  onEncodersChanged: z.object({}),
} as const
