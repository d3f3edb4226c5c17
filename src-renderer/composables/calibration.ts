// The reliability diagram of one run: per confidence bin, the share of right predictions against
// the mean confidence (a calibrated model lies on the diagonal), with the bins' counts, and the
// expected calibration error and Brier score beside it.
import type { ChartConfiguration } from 'chart.js'

/** One confidence bin (summary.json test.calibration.bins[]). */
export interface CalibrationBin {
  /** Lower edge of the bin. */
  lo: number
  /** Upper edge. */
  hi: number
  /** Test images whose confidence falls in it. */
  n: number
  /** Their mean confidence (null when empty). */
  confidence: number | null
  /** Share of them predicted right (null when empty). */
  accuracy: number | null
}

/** A run's calibration (results.run calibration). */
export interface Calibration {
  /** Expected calibration error: the bins' |accuracy - confidence| weighted by their share of images. */
  ece: number | null
  /** Brier score (mean squared error of the probabilities). */
  brier: number | null
  /** The bins. */
  bins: CalibrationBin[]
  /** What the confidence is: e.g. `top-label` (the predicted class's probability) or `per-finding`. */
  kind?: string
}

/** Bins holding images, in order. */
export const filledBins = (c: Calibration): CalibrationBin[] => c.bins.filter((b) => b.n > 0 && b.confidence !== null && b.accuracy !== null)

/** Chart.js config: accuracy against confidence per bin (points sized by count), the diagonal, and the gaps. */
export function reliabilityChartConfig(c: Calibration, colours: { line: string; gap: string; diagonal: string }): ChartConfiguration<'line'> {
  const bins = filledBins(c)
  const total = bins.reduce((a, b) => a + b.n, 0) || 1
  return {
    type: 'line',
    data: {
      datasets: [
        { label: 'accuracy in the bin', data: bins.map((b) => ({ x: b.confidence!, y: b.accuracy! })), borderColor: colours.line, backgroundColor: colours.line, pointRadius: bins.map((b) => 3 + 9 * Math.sqrt(b.n / total)), borderWidth: 2 },
        ...bins.map((b, i) => ({ label: i === 0 ? 'gap to calibrated' : '', data: [{ x: b.confidence!, y: b.confidence! }, { x: b.confidence!, y: b.accuracy! }], borderColor: colours.gap, pointRadius: 0, borderWidth: 3 })),
        { label: 'calibrated', data: [{ x: 0, y: 0 }, { x: 1, y: 1 }], borderColor: colours.diagonal, borderDash: [4, 4], pointRadius: 0, borderWidth: 1 },
      ],
    },
    options: {
      parsing: false,
      scales: { x: { type: 'linear', min: 0, max: 1, title: { display: true, text: 'mean confidence in the bin' } }, y: { min: 0, max: 1, title: { display: true, text: 'share predicted right' } } },
      plugins: { legend: { labels: { filter: (item) => item.text !== '' } } },
    },
  }
}
