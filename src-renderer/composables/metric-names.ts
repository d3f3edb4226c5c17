// What each metric identifier means for a reader: its name, which direction is better, and the
// group its curve is drawn in (one y-axis per group, so images/s never flattens a loss).

/** How a metric is shown. */
export interface MetricInfo {
  /** Human name, e.g. "ROC-AUC". */
  label: string
  /** Whether a larger value is better (false for losses). */
  higherIsBetter: boolean
  /** Curve group: one chart (one y-axis) per group. */
  group: CurveGroup
}

/** Curve groups, in the order the Runs view draws them. */
export const CURVE_GROUPS = ['loss', 'quality', 'throughput', 'learning rate', 'other'] as const
export type CurveGroup = (typeof CURVE_GROUPS)[number]

/** Titles of the curve groups. */
export const GROUP_TITLES: Record<CurveGroup, string> = { loss: 'Loss', quality: 'Accuracy-like metrics', throughput: 'Throughput (images/s)', 'learning rate': 'Learning rate', other: 'Other metrics' }

const KNOWN: Record<string, MetricInfo> = {
  loss: { label: 'loss', higherIsBetter: false, group: 'loss' },
  accuracy: { label: 'accuracy', higherIsBetter: true, group: 'quality' },
  f1_weighted: { label: 'weighted F1', higherIsBetter: true, group: 'quality' },
  balanced_accuracy: { label: 'balanced accuracy', higherIsBetter: true, group: 'quality' },
  roc_auc: { label: 'ROC-AUC', higherIsBetter: true, group: 'quality' },
  images_per_s: { label: 'images/s', higherIsBetter: true, group: 'throughput' },
  lr: { label: 'learning rate', higherIsBetter: true, group: 'learning rate' },
  l1: { label: 'masked L1', higherIsBetter: false, group: 'loss' },
}

/** How to show a metric; unknown names are grouped by their shape (acc_* quality, *loss* loss). */
export function metricInfo(name: string): MetricInfo {
  const known = KNOWN[name]
  if (known) return known
  if (/loss|l1|l2|mse/i.test(name)) return { label: name.replace(/_/g, ' '), higherIsBetter: false, group: 'loss' }
  if (/^acc|accuracy|auc|f1|inv_/i.test(name)) return { label: name.replace(/^acc_/, 'accuracy ').replace(/^inv_/, 'invariance ').replace(/_/g, ' '), higherIsBetter: true, group: 'quality' }
  if (/lr/i.test(name)) return { label: 'learning rate', higherIsBetter: true, group: 'learning rate' }
  return { label: name.replace(/_/g, ' '), higherIsBetter: true, group: 'other' }
}

/** The human name of a metric. */
export const metricLabel = (name: string): string => metricInfo(name).label
