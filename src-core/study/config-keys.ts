// Fields of a study config that the schema does not know, each with the nearest valid name: zod
// would drop them silently, and a misspelt `maxStepPerEpoch` planned 42 runs without a step cap.
import { alternatives, jsonSchemaOf, propertiesOf, type JsonSchema } from './config-json-schema.ts'
import { studyConfigSchema } from './config.ts'

/** One unknown field. */
export interface UnknownKey {
  /** Dotted path, e.g. `pretext.maxStepPerEpoch`. */
  path: string
  /** The closest valid field at that place, when one is close enough to be a typo. */
  nearest: string | null
  /** The valid fields at that place. */
  valid: string[]
}

/** Unknown fields anywhere in `raw` (objects and arrays of objects are walked). */
export function unknownConfigKeys(raw: unknown): UnknownKey[] {
  const out: UnknownKey[] = []
  walk(raw, jsonSchemaOf(studyConfigSchema), '', out)
  return out
}

function walk(value: unknown, schema: JsonSchema, path: string, out: UnknownKey[]): void {
  if (Array.isArray(value)) {
    const items = alternatives(schema).find((a) => a.items)?.items
    if (items) value.forEach((v, i) => walk(v, items, `${path}[${i}]`, out))
    return
  }
  if (!value || typeof value !== 'object') return
  const props = propertiesOf(schema)
  if (!props) return
  const valid = Object.keys(props)
  for (const [k, v] of Object.entries(value)) {
    const p = path ? `${path}.${k}` : k
    if (Object.hasOwn(props, k)) walk(v, props[k]!, p, out)
    else out.push({ path: p, nearest: nearestName(k, valid), valid })
  }
}

/** The valid name within a typo's distance of `name` (case-insensitive edit distance), or null. */
export function nearestName(name: string, valid: readonly string[]): string | null {
  let best: string | null = null
  let bestD = Infinity
  for (const v of valid) {
    const d = editDistance(name.toLowerCase(), v.toLowerCase())
    if (d < bestD) {
      bestD = d
      best = v
    }
  }
  return best !== null && bestD <= Math.max(2, Math.floor(best.length / 4)) ? best : null
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const cur = [i]
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1))
    prev = cur
  }
  return prev[b.length]!
}
