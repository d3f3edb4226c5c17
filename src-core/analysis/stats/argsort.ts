// Ascending argsort of scores in O(n): an LSD radix sort on the bit patterns of non-negative
// doubles (which order like the numbers), four passes of 16 bits, stable (ties keep index order).
// Probabilities are what the analysis sorts; any negative, -0 or NaN score falls back to a
// comparison sort.

/** Positions 0..n-1 in ascending order of `score` (ties in index order). */
export function argsortAscending(score: Float64Array): Int32Array {
  const n = score.length
  let plain = true
  for (let i = 0; i < n; i++) {
    const s = score[i]!
    if (!(s > 0 || (s === 0 && 1 / s > 0))) {
      plain = false
      break
    }
  }
  if (!plain) return Int32Array.from({ length: n }, (_, i) => i).sort((a, b) => score[a]! - score[b]! || a - b)
  const words = new Uint32Array(score.buffer, score.byteOffset, n * 2) // little-endian: [low, high] per double
  let idx = Int32Array.from({ length: n }, (_, i) => i)
  let tmp = new Int32Array(n)
  const count = new Int32Array(65_537)
  for (let pass = 0; pass < 4; pass++) {
    const word = pass >> 1
    const shift = (pass & 1) * 16
    count.fill(0)
    for (let i = 0; i < n; i++) count[((words[idx[i]! * 2 + word]! >>> shift) & 0xffff) + 1]!++
    // A pass where every key has the same digit changes nothing.
    let skip = false
    for (let d = 1; d <= 65_536; d++) {
      if (count[d] === n) {
        skip = true
        break
      }
      if (count[d]) break
    }
    if (skip) continue
    for (let d = 1; d <= 65_536; d++) count[d]! += count[d - 1]!
    for (let i = 0; i < n; i++) {
      const j = idx[i]!
      tmp[count[(words[j * 2 + word]! >>> shift) & 0xffff]!++] = j
    }
    const t = idx
    idx = tmp
    tmp = t
  }
  return idx
}
