// The study-config field reference, generated from the zod schema (via its JSON Schema) and the
// field sentences of config-fields.ts: docs/study-config.md and `xlab study config --help` print
// this, and a test checks the doc is the current output, so neither can drift from the schema.
import { alternatives, jsonSchemaOf, propertiesOf, type JsonSchema } from './config-json-schema.ts'
import { CONFIG_FIELD_DOCS } from './config-fields.ts'
import { studyConfigSchema } from './config.ts'

/** One row of the reference. */
export interface ConfigField {
  /** Dotted path. */
  path: string
  /** Type as a reader writes it (integer, number, string, list of ..., object). */
  type: string
  /** Allowed values and bounds, in words. */
  allowed: string
  /** Default when absent; `required` when the field must be given; `-` when optional without default. */
  default: string
  /** Meaning and unit. */
  meaning: string
}

const MAX_SAFE = Number.MAX_SAFE_INTEGER

/** Every field of the schema, depth first in schema order. */
export function configFields(): ConfigField[] {
  const out: ConfigField[] = []
  const walk = (s: JsonSchema, prefix: string) => {
    const props = propertiesOf(s)
    if (!props) return
    const required = new Set(alternatives(s).flatMap((a) => a.required ?? []))
    for (const [k, f] of Object.entries(props)) {
      const path = prefix ? `${prefix}.${k}` : k
      out.push({
        path,
        type: typeText(f),
        allowed: allowedText(f),
        default: f.default !== undefined ? JSON.stringify(f.default) : required.has(k) ? 'required' : '-',
        meaning: f.description ?? CONFIG_FIELD_DOCS[path] ?? '',
      })
      walk(f, path)
    }
  }
  walk(jsonSchemaOf(studyConfigSchema), '')
  return out
}

/** Fields the reference has no sentence for (a test keeps this empty). */
export function undocumentedFields(): string[] {
  return configFields().filter((f) => !f.meaning).map((f) => f.path)
}

function typeText(s: JsonSchema): string {
  const alts = alternatives(s)
  if (alts.length > 1) return alts.map(typeText).join(' or ')
  if (s.type === 'array') return `list of ${s.items ? typeText(s.items) : 'values'}`
  if (s.enum || s.const !== undefined) return 'string'
  return Array.isArray(s.type) ? s.type.join(' or ') : (s.type ?? 'value')
}

function allowedText(s: JsonSchema): string {
  const parts: string[] = []
  const alts = alternatives(s)
  if (alts.length > 1) return alts.map(allowedText).filter(Boolean).join('; or ')
  if (s.enum) parts.push(`one of ${s.enum.map((v) => `\`${String(v)}\``).join(', ')}`)
  if (s.const !== undefined) parts.push(`\`${String(s.const)}\``)
  const lo = s.exclusiveMinimum !== undefined ? `> ${s.exclusiveMinimum}` : s.minimum !== undefined ? `>= ${s.minimum}` : ''
  const hi = s.exclusiveMaximum !== undefined ? `< ${s.exclusiveMaximum}` : s.maximum !== undefined && s.maximum < MAX_SAFE ? `<= ${s.maximum}` : ''
  if (lo || hi) parts.push([lo, hi].filter(Boolean).join(', '))
  if (s.minLength) parts.push('not empty')
  if (s.pattern) parts.push(`matching \`${s.pattern}\``)
  if (s.type === 'array') {
    if (s.minItems !== undefined && s.maxItems !== undefined) parts.push(`${s.minItems} to ${s.maxItems} items`)
    else if (s.minItems) parts.push(`at least ${s.minItems} item${s.minItems > 1 ? 's' : ''}`)
    const inner = s.items ? allowedText(s.items) : ''
    if (inner) parts.push(`each ${inner}`)
  }
  return parts.join('; ')
}

const escapeCell = (t: string) => t.replace(/\|/g, '\\|')

/** The reference as Markdown (docs/study-config.md). */
export function configReferenceMarkdown(): string {
  const lines = [
    '# Study config reference',
    '',
    '<!-- Generated from the zod schema (src-core/study/config.ts) by `node bin/xlab.mjs study config --markdown`; do not edit by hand. -->',
    '',
    'Every field of a study config (`xlab study create NAME --config FILE`, the Study builder). Unknown',
    'fields are refused with the nearest valid name; values outside these bounds are refused when the',
    'study is created. Nested fields are written with dots: `pretext.batchSize` is `{"pretext": {"batchSize": ...}}`.',
    '',
    '| Field | Type | Allowed | Default | Meaning |',
    '| --- | --- | --- | --- | --- |',
    ...configFields().map((f) => `| \`${f.path}\` | ${escapeCell(f.type)} | ${escapeCell(f.allowed) || '-'} | ${escapeCell(f.default === '-' || f.default === 'required' ? f.default : `\`${f.default}\``)} | ${escapeCell(f.meaning)} |`),
    '',
  ]
  return lines.join('\n')
}

/** The reference as plain text for a terminal (`xlab study config --help`). */
export function configReferenceText(): string {
  const lines = ['Study config fields (generated from the schema; docs/study-config.md has the same table):', '']
  for (const f of configFields()) {
    lines.push(`${f.path}  (${f.type}${f.allowed ? `; ${f.allowed}` : ''}; default ${f.default})`)
    lines.push(`    ${f.meaning}`)
  }
  return `${lines.join('\n')}\n`
}
