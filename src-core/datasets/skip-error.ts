// A file the importer cannot use is skipped and listed in the import report, never a crash
// (DESIGN.md). Decoders throw SkipError with one of these reasons.

/** Why a file was left out of a dataset. */
export type SkipReason =
  | 'zero-byte'
  | 'corrupt'
  | 'truncated'
  | 'unsupported-format'
  | 'dicom-no-pixel-data'
  | 'csv-row-without-image'
  | 'image-without-csv-row'
  | 'duplicate-row'
  | 'unreadable'
  | 'invalid-row'
  | 'outside-allowed-folders'
  | 'duplicate-file'
  | 'empty-window'

/** A file that is left out, with a sentence for the report. */
export class SkipError extends Error {
  constructor(
    readonly reason: SkipReason,
    message: string,
  ) {
    super(message)
    this.name = 'SkipError'
  }
}
