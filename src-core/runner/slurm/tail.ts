// Follows a file that another machine appends to (a run folder on shared storage): polls its size
// and reads what was added, whole lines only. Polling, not fs.watch: change notifications do not
// cross NFS, and a compute node is another machine.
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs'

export class FileTail {
  private offset: number
  private partial = ''

  /** Starts at `from` bytes (default: the file's current end, so earlier lines are skipped). */
  constructor(
    private readonly path: string,
    from?: number,
  ) {
    this.offset = from ?? (existsSync(path) ? statSync(path).size : 0)
  }

  /** Bytes consumed so far. */
  get position(): number {
    return this.offset
  }

  /** The complete lines appended since the last call (a line still being written waits). */
  read(): string[] {
    if (!existsSync(this.path)) return []
    const size = statSync(this.path).size
    if (size < this.offset) this.offset = 0 // truncated by hand: start over
    if (size === this.offset) return []
    const fd = openSync(this.path, 'r')
    try {
      const buf = Buffer.alloc(size - this.offset)
      const n = readSync(fd, buf, 0, buf.length, this.offset)
      this.offset += n
      const text = this.partial + buf.subarray(0, n).toString('utf8')
      const lines = text.split('\n')
      this.partial = lines.pop() ?? ''
      return lines
    } finally {
      closeSync(fd)
    }
  }

  /** Whatever is left, including an unterminated last line (call once the writer has ended). */
  drain(): string[] {
    const lines = this.read()
    if (this.partial) lines.push(this.partial)
    this.partial = ''
    return lines
  }
}
