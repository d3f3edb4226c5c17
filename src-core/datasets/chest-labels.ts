// ChestX-ray14's 15 label strings and the downstream targets derived from them
// (docs/architecture.md "Dataset cache": binary = any finding; 3-class = No Finding / Pneumonia /
// other finding, Pneumonia winning when present).

export const CHEST_LABELS = [
  'Atelectasis', 'Cardiomegaly', 'Consolidation', 'Edema', 'Effusion', 'Emphysema', 'Fibrosis', 'Hernia',
  'Infiltration', 'Mass', 'No Finding', 'Nodule', 'Pleural_Thickening', 'Pneumonia', 'Pneumothorax',
] as const

export const THREE_CLASS_NAMES = ['No Finding', 'Pneumonia', 'Other finding'] as const
export const BINARY_NAMES = ['No Finding', 'Finding'] as const

/** 0 No Finding, 1 any finding. */
export function binaryTarget(labels: readonly string[]): 0 | 1 {
  return labels.length === 0 || (labels.length === 1 && labels[0] === 'No Finding') ? 0 : 1
}

/** 0 No Finding, 1 Pneumonia (if among the labels), 2 any other finding. */
export function threeClassTarget(labels: readonly string[]): 0 | 1 | 2 {
  if (labels.includes('Pneumonia')) return 1
  return binaryTarget(labels) === 0 ? 0 : 2
}
