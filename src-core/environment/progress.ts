// Progress of an environment set-up: phases in order, and what the installer says it downloads
// and installs (with sizes), read from pip's and uv's output lines.
import { statSync } from 'node:fs'

/** The phases of a set-up, in order. */
export const SETUP_PHASES = ['detect', 'python', 'venv', 'download', 'install', 'verify', 'done'] as const
export type SetupPhase = (typeof SETUP_PHASES)[number]

/** One progress report. */
export interface SetupProgress {
  /** Current phase. */
  phase: SetupPhase
  /** A line for people. */
  message: string
  /** Package the line is about, when there is one. */
  package?: string
  /** Size of that package's file in bytes, when known. */
  bytes?: number
  /** Bytes of packages fetched or unpacked so far in this set-up. */
  doneBytes?: number
  /** Packages seen so far (downloaded or taken from a local file or cache). */
  packages?: number
}

const UNITS: Record<string, number> = { B: 1, kB: 1e3, KB: 1e3, MB: 1e6, GB: 1e9, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3 }

/** `554.6 MB` / `6.8MiB` -> bytes. */
export function parseSize(text: string): number | null {
  const m = /([\d.]+)\s*(B|kB|KB|MB|GB|KiB|MiB|GiB)\b/.exec(text)
  return m ? Math.round(Number(m[1]) * UNITS[m[2]!]!) : null
}

const fileSize = (path: string) => {
  try {
    return statSync(path).size
  } catch {
    return undefined
  }
}

/** Turns installer output lines into progress reports (stateful: it sums the bytes). */
export class InstallOutputParser {
  private doneBytes = 0
  private packages = 0

  constructor(private readonly emit: (p: SetupProgress) => void) {}

  /** Feeds one line of pip's or uv's output (stdout and stderr alike). */
  line(raw: string): void {
    const line = raw.trim()
    let m: RegExpExecArray | null
    // pip: "Downloading torch-2.14.1-cp311-...whl (554.6 MB)"; uv: "Downloading torch (530.1MiB)".
    if ((m = /^Downloading (\S+?)(?:-\d[^\s]*)?(?:\.whl)? \(([^)]+)\)/.exec(line))) {
      const bytes = parseSize(m[2]!) ?? undefined
      this.packages++
      this.doneBytes += bytes ?? 0
      this.emit({ phase: 'download', message: `downloading ${m[1]} (${m[2]})`, package: m[1], bytes, doneBytes: this.doneBytes, packages: this.packages })
    } else if ((m = /^Processing (\/\S+\.whl)/.exec(line))) {
      // pip installing from a local wheel folder or file index: the size is the file's.
      const file = m[1]!
      const name = file.split('/').at(-1)!.split('-')[0]!
      const bytes = fileSize(file)
      this.packages++
      this.doneBytes += bytes ?? 0
      this.emit({ phase: 'download', message: `using local ${name}${bytes ? ` (${(bytes / 1e6).toFixed(1)} MB)` : ''}`, package: name, bytes, doneBytes: this.doneBytes, packages: this.packages })
    } else if ((m = /^Resolved (\d+) packages?/.exec(line))) {
      this.emit({ phase: 'download', message: line })
    } else if ((m = /^Prepared (\d+) packages?/.exec(line))) {
      this.emit({ phase: 'download', message: line, packages: Number(m[1]), doneBytes: this.doneBytes })
    } else if (/^Installing collected packages:/.test(line) || /^Installed \d+ packages?/.test(line) || /^Successfully installed /.test(line) || /^Bytecode compiled \d+ files/.test(line)) {
      this.emit({ phase: 'install', message: line.length > 200 ? `${line.slice(0, 197)}...` : line, doneBytes: this.doneBytes, packages: this.packages })
    }
  }
}
