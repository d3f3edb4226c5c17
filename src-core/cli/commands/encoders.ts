// `xlab encoders import|list`: reference encoders (a torchvision resnet18 state_dict you bring).
import { resolve } from 'node:path'
import { flagString, type CliArgs } from '../args.ts'
import { badRequest as bad, runServiceCommand } from '../service-command.ts'

const HELP = `usage: xlab encoders <command> [options]   (global: --data DIR)

  import FILE --name NAME [--mean R,G,B --std R,G,B]
        import a torchvision resnet18 state_dict (e.g. ImageNet weights you downloaded) as a
        reference encoder; studies use it with "referenceEncoders": ["NAME"] (fusion: "ref:NAME").
        --mean/--std: the input normalisation it was trained with (ImageNet: 0.485,0.456,0.406 and
        0.229,0.224,0.225); used when downstream.normalisation is "pretraining".
  list  the imported reference encoders with their checksums
  --json prints machine-readable output.
`

function triple(flag: string, text: string | undefined): [number, number, number] | undefined {
  if (text === undefined) return undefined
  const v = text.split(',').map((x) => Number(x.trim()))
  if (v.length !== 3 || v.some((x) => !Number.isFinite(x))) throw bad(`--${flag} takes three numbers R,G,B (e.g. 0.485,0.456,0.406), not "${text}".`)
  return v as [number, number, number]
}

type Encoder = { name: string; sha256: string; sourcePath: string; parameters: number; normalisation: { mean: number[]; std: number[] } | null; importedAt: string; path: string; created?: boolean }

export function run(args: CliArgs): Promise<number> {
  return runServiceCommand(args, HELP, async ({ sub, rest: [a1], json, call, print }) => {
    switch (sub) {
      case 'import': {
        const name = flagString(args, 'name')
        if (!a1 || !name) throw bad('usage: xlab encoders import FILE --name NAME [--mean R,G,B --std R,G,B]')
        const e = (await call('encoders.import', { path: resolve(a1), name, mean: triple('mean', flagString(args, 'mean')), std: triple('std', flagString(args, 'std')) })) as Encoder
        if (json) print(e)
        else process.stdout.write(`${e.created ? 'imported' : 'already imported (same file)'} ${e.name}  sha256 ${e.sha256}  ${e.parameters.toLocaleString('en-US')} parameters\n  from ${e.sourcePath}\n  stored ${e.path}\nuse it in a study: "referenceEncoders": ["${e.name}"]\n`)
        return 0
      }
      case 'list': {
        const list = (await call('encoders.list', {})) as Encoder[]
        if (json) print(list)
        else if (!list.length) process.stdout.write('no reference encoders; import one with xlab encoders import FILE --name NAME\n')
        else for (const e of list) process.stdout.write(`${e.name.padEnd(16)} ${e.sha256.slice(0, 12)}  ${e.normalisation ? `mean ${e.normalisation.mean.join(',')} std ${e.normalisation.std.join(',')}` : 'no normalisation'}  ${e.importedAt}  ${e.sourcePath}\n`)
        return 0
      }
      default:
        throw bad(`unknown encoders command "${sub}"; see xlab encoders --help`)
    }
  })
}
