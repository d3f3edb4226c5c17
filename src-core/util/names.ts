// Names people give datasets and studies. Commands accept an id or a name (`datasets remove KEY`,
// `study run KEY`), so a name shaped like an id could pick another thing's record: a dataset named
// `ds-ea9f0ad6` and another whose id that is. Such names are refused.

/** The shapes of the lab's ids: datasets `ds-1a2b3c4d`, studies `st-1a2b3c4d`, runs `r-1a2b3c4d5e6f`. */
const ID_SHAPE = /^(ds|st|r)-[0-9a-f]{4,}$/i

/** Why a name cannot be used, or null when it can. `what` is `dataset` or `study`. */
export function idShapedNameProblem(name: string, what: 'dataset' | 'study'): string | null {
  if (!ID_SHAPE.test(name)) return null
  return `"${name}" has the shape of an id (ds-…, st-…, r-… followed by hex digits), and commands that take a name also take ids, so it could name another record. Choose another ${what} name${what === 'dataset' ? ' (--name)' : ''}, e.g. "${name.replace(/-/, '_')}".`
}
