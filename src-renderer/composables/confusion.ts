// A confusion matrix as a reader needs it: counts, each row's share (recall per true class) and
// the row's support, shaded by share so a 14-image class is as visible as a 400-image one.

/** One cell: its count and its share of the true class's images. */
export interface ConfusionCell {
  /** Images of the true class (row) predicted as the column's class. */
  count: number
  /** count / row support (0 when the row is empty). */
  share: number
}

/** Rows of cells with the support of each row. */
export function confusionRows(matrix: readonly (readonly number[])[]): { cells: ConfusionCell[]; support: number }[] {
  return matrix.map((row) => {
    const support = row.reduce((a, b) => a + b, 0)
    return { support, cells: row.map((count) => ({ count, share: support > 0 ? count / support : 0 })) }
  })
}

/** "93%" style share. */
export const formatShare = (share: number): string => `${Math.round(100 * share)}%`
