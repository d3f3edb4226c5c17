// What difference a study can detect, said before it runs (issue 24). A verdict comparing two
// trained models (fusion vs its best member, pretraining vs scratch, an encoder vs random-init) rests
// on two sources of noise: retraining (the between-seed SD of a run's ROC-AUC, about 0.015 for a
// ResNet-18) and the test images (the same for every seed, so averaging seeds does not shrink it).
// Rough, for planning only: the paired test across k seeds (k - 1 degrees of freedom) at 5%
// two-sided with 80% power, before the family's Holm correction, which makes it larger. The analysis
// pools the seed spread over each family (more degrees of freedom than k - 1), which makes it smaller;
// the figure errs on the large side for that.
import { tTwoSided } from '../analysis/stats/distributions.ts'

/** Between-seed SD of one run's ROC-AUC assumed for planning. */
export const TRAINING_SD = 0.015

/** SE of a paired ROC-AUC difference of two models on n test images: Hanley & McNeil's SE of one
 *  AUC near 0.8 with balanced classes is about 0.44 / sqrt(n), and two models of the same images
 *  (correlation about 0.5) difference with about the same SE. */
export const testSdOfDifference = (nTest: number) => 0.45 / Math.sqrt(nTest)

/** The t quantile with upper tail `tail` (two-sided p = 2 tail), by bisection on the t survival. */
export function tQuantile(tail: number, df: number): number {
  let lo = 0
  let hi = 1000
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2
    if (tTwoSided(mid, df) / 2 > tail) lo = mid
    else hi = mid
  }
  return (lo + hi) / 2
}

/** The smallest ROC-AUC difference the paired test across `seeds` seeds finds with 80% power on
 *  `nTest` test images (null with one seed: not testable). */
export function detectableDifference(seeds: number, nTest: number): number | null {
  if (seeds < 2 || nTest < 1) return null
  const df = seeds - 1
  const se = Math.sqrt(testSdOfDifference(nTest) ** 2 + (2 * TRAINING_SD ** 2) / seeds)
  return (tQuantile(0.025, df) + tQuantile(0.2, df)) * se
}

/** The planner's sentence about it. */
export function detectableSentence(seeds: number, nTest: number | null): string {
  const imgs = nTest ? `${nTest} test images` : 'a test split of unknown size (the dataset is not imported yet)'
  if (seeds < 2) {
    return `With 1 seed the training noise (between-seed SD of ROC-AUC, about ${TRAINING_SD}) is unmeasured, so the comparisons of two trained models (fusion vs best member, beats scratch, beats random-init) give no verdict; their intervals cover test sampling only. Run 3 or more seeds to test them${nTest ? ` (with 3 seeds and ${imgs}, about ${detectableDifference(3, nTest)!.toFixed(2)} ROC-AUC is detectable; with 5, about ${detectableDifference(5, nTest)!.toFixed(2)})` : ''}.`
  }
  if (!nTest) return `With ${seeds} seeds the detectable ROC-AUC difference depends on ${imgs}; \`xlab study plan\` says it once the downstream dataset is imported.`
  return `With ${seeds} seeds and ${imgs}, a paired comparison of two trained models detects a ROC-AUC difference of about ${detectableDifference(seeds, nTest)!.toFixed(2)} (80% power, 5% two-sided, before Holm over its family; assumes a between-seed SD of ${TRAINING_SD}); smaller differences are reported as "no evidence either way".`
}
