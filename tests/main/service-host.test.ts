// The utilityProcess supervisor with fake child processes, channels and windows.
import { describe, expect, it } from 'vitest'
import { LabServiceHost, type ChildLike, type WindowContentsLike } from '../../src-main/service-host.ts'

function setup() {
  const children: (ChildLike & { messages: [unknown, unknown[] | undefined][]; exit(code: number): void; killed: boolean })[] = []
  let n = 0
  const host = new LabServiceHost({
    fork() {
      let onExit: (code: number) => void = () => {}
      const child = {
        messages: [] as [unknown, unknown[] | undefined][],
        killed: false,
        postMessage(m: unknown, t?: unknown[]) {
          child.messages.push([m, t])
        },
        on(_e: 'exit', l: (code: number) => void) {
          onExit = l
          return child
        },
        kill() {
          child.killed = true
          onExit(1)
          return true
        },
        exit: (code: number) => onExit(code),
      }
      children.push(child)
      return child
    },
    createChannel: () => ({ port1: { id: `a${++n}` }, port2: { id: `b${n}` } }),
    log: () => {},
  })
  const win = () => {
    const posted: [string, unknown, unknown[] | undefined][] = []
    const w: WindowContentsLike & { posted: typeof posted } = { posted, postMessage: (c, m, t) => posted.push([c, m, t]), isDestroyed: () => false }
    return w
  }
  return { host, children, win }
}

describe('LabServiceHost', () => {
  it('gives each window one end of a fresh channel and the service the other', () => {
    const { host, children, win } = setup()
    const w = win()
    host.connect(w)
    expect(children).toHaveLength(1)
    expect(children[0]!.messages).toEqual([[{ type: 'connect' }, [{ id: 'a1' }]]])
    expect(w.posted).toEqual([['lab:port', null, [{ id: 'b1' }]]])
  })

  it('forwards folders chosen natively, also to a restarted service', () => {
    const { host, children, win } = setup()
    host.connect(win())
    host.allow('/data/xrays')
    expect(children[0]!.messages.at(-1)).toEqual([{ type: 'allow', dir: '/data/xrays' }, undefined])
    children[0]!.exit(3)
    expect(children).toHaveLength(2)
    expect(children[1]!.messages[0]).toEqual([{ type: 'allow', dir: '/data/xrays' }, undefined])
    expect(children[1]!.messages[1]![0]).toEqual({ type: 'connect' })
  })

  it('tells windows when the service stops and restarts a crashed service only once', () => {
    const { host, children, win } = setup()
    const w = win()
    host.connect(w)
    const reasons: string[] = []
    host.onExit((r) => reasons.push(r))
    children[0]!.exit(1)
    children[1]!.exit(1)
    expect(children).toHaveLength(2)
    expect(reasons).toEqual(['crashed', 'crashed'])
    expect(w.posted.filter(([c]) => c === 'lab:closed')).toHaveLength(2)
  })

  it('asks for a clean shutdown and kills the service if it hangs', async () => {
    const { host, children, win } = setup()
    host.connect(win())
    await host.stop(10)
    expect(children[0]!.messages.at(-1)).toEqual([{ type: 'shutdown' }, undefined])
    expect(children[0]!.killed).toBe(true)
    expect(children).toHaveLength(1)
  })
})
