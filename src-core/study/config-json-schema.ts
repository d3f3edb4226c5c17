// The study config's JSON Schema, derived from the zod schema (config.ts): the one description of
// its fields that the key check (config-keys.ts) and the field reference (config-doc.ts) walk, so
// a field added to the zod schema is known to both without a hand-kept list.
import { z } from 'zod'

/** The subset of JSON Schema that zod emits for the config. */
export interface JsonSchema {
  /** JSON type, or a list of them. */
  type?: string | string[]
  /** Fields of an object. */
  properties?: Record<string, JsonSchema>
  /** Fields an object must have. */
  required?: string[]
  /** Element schema of an array. */
  items?: JsonSchema
  /** Allowed values. */
  enum?: unknown[]
  /** A single allowed value. */
  const?: unknown
  /** Value when absent. */
  default?: unknown
  /** From `.describe()` / `.meta()`. */
  description?: string
  /** Alternatives (unions). */
  anyOf?: JsonSchema[]
  /** Alternatives (discriminated unions). */
  oneOf?: JsonSchema[]
  /** Bounds. */
  minimum?: number
  /** Bounds. */
  maximum?: number
  /** Bounds. */
  exclusiveMinimum?: number
  /** Bounds. */
  exclusiveMaximum?: number
  /** Array length bounds. */
  minItems?: number
  /** Array length bounds. */
  maxItems?: number
  /** String length bound. */
  minLength?: number
  /** String pattern. */
  pattern?: string
}

const cache = new WeakMap<z.ZodType, JsonSchema>()

/** The input-side JSON Schema of a zod schema (defaults optional), memoised. */
export function jsonSchemaOf(schema: z.ZodType): JsonSchema {
  let s = cache.get(schema)
  if (!s) {
    s = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema
    cache.set(schema, s)
  }
  return s
}

/** The alternatives of a schema (itself when it has none). */
export function alternatives(s: JsonSchema): JsonSchema[] {
  return s.anyOf ?? s.oneOf ?? [s]
}

/** Object fields of a schema, merged over its alternatives. */
export function propertiesOf(s: JsonSchema): Record<string, JsonSchema> | null {
  const objects = alternatives(s).filter((a) => a.properties)
  if (!objects.length) return null
  return Object.assign({}, ...objects.map((a) => a.properties))
}
