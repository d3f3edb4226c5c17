// Puts uv's binary for a target platform into resources/uv/<platform>-<arch>/, where
// electron-builder picks it up as an extra resource (electron-builder.json) and a source checkout
// finds it (src-core/environment/resources.ts). It comes from the `uv` wheel on PyPI, fetched with
// pip (the wheel ships the binary), at the version the manager would fetch itself (UV_VERSION).
//   npx tsx scripts/fetch-uv.ts [--target linux-x64|linux-arm64|win32-x64|darwin-arm64|darwin-x64]
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { repoRoot } from '../src-core/config/paths.ts'
import { uvFileName } from '../src-core/environment/resources.ts'
import { fetchUvWheel, findBootstrapPython, UV_VERSION } from '../src-core/environment/tools.ts'

/** pip's --platform tag of each target (uv's wheels are tagged by platform only). */
const PLATFORM_TAGS: Record<string, string> = {
  'linux-x64': 'manylinux_2_17_x86_64',
  'linux-arm64': 'manylinux_2_17_aarch64',
  'win32-x64': 'win_amd64',
  'darwin-arm64': 'macosx_11_0_arm64',
  'darwin-x64': 'macosx_10_12_x86_64',
}

const i = process.argv.indexOf('--target')
const target = i > 0 ? process.argv[i + 1]! : `${process.platform}-${process.arch}`
const tag = PLATFORM_TAGS[target]
if (!tag) {
  process.stderr.write(`fetch-uv: unknown target ${target}; use one of ${Object.keys(PLATFORM_TAGS).join(', ')}\n`)
  process.exit(2)
}
const python = findBootstrapPython()
if (!python) {
  process.stderr.write('fetch-uv: needs Python 3.11+ with pip to download the uv wheel\n')
  process.exit(1)
}
const out = join(repoRoot(), 'resources', 'uv', target)
const name = uvFileName(target.startsWith('win32') ? 'win32' : 'linux')
if (existsSync(join(out, name))) {
  process.stderr.write(`fetch-uv: ${join(out, name)} is there already\n`)
  process.exit(0)
}
const got = fetchUvWheel(python.path, out, { platformTag: tag, fileName: name })
if ('error' in got) {
  process.stderr.write(`fetch-uv: ${got.error}\n`)
  process.exit(1)
}
process.stderr.write(`fetch-uv: uv ${UV_VERSION} for ${target} -> ${got.path}\n`)
