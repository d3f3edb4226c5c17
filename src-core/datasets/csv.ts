// A small RFC 4180 CSV reader (quoted fields, "" escapes, CRLF), enough for the dataset tables.

/** A table that cannot be read as CSV; `line` is where the problem starts (1-based). */
export class CsvError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(message)
    this.name = 'CsvError'
  }
}

/**
 * Parses CSV text into rows of fields. Blank lines are dropped. A quote opens a quoted field only
 * at the start of a field (RFC 4180); elsewhere it is an ordinary character, so a stray `"` inside
 * a value cannot swallow the rest of the file. A quoted field still open at the end of the text
 * throws CsvError with the line it started on.
 */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = []
  let row: string[] = []
  let field = ''
  let quoted = false
  let fieldStart = true
  let line = 1
  let quoteLine = 0
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"'
          i++
        } else quoted = false
      } else {
        if (c === '\n') line++
        field += c
      }
      continue
    }
    if (c === '"' && fieldStart) {
      quoted = true
      quoteLine = line
      fieldStart = false
    } else if (c === ',') {
      row.push(field)
      field = ''
      fieldStart = true
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++
      line++
      row.push(field)
      if (row.length > 1 || row[0] !== '') rows.push(row)
      row = []
      field = ''
      fieldStart = true
    } else {
      field += c
      fieldStart = false
    }
  }
  if (quoted) throw new CsvError(`a quoted field that starts on line ${quoteLine} is never closed (an unmatched ")`, quoteLine)
  if (field !== '' || row.length) {
    row.push(field)
    if (row.length > 1 || row[0] !== '') rows.push(row)
  }
  return rows
}
