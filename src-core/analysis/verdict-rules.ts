// The pre-declared decision rules: every sentence of the summary comes from one of these, applied
// to a test that has been corrected for the other tests of its family. A rule whose test does not
// survive says "no evidence either way"; a rule the design cannot test says so. The same texts are
// printed in the report's method section and in docs/analysis.md, so what was decided and how is
// fixed before any number is seen.
import type { StudyAnalysis, VerdictOut } from '../api/results.ts'

/** The metric every verdict is decided on (threshold-free, robust to class imbalance); other metrics are descriptive. */
export const PRIMARY_METRIC = 'roc_auc'

/** Family-wise error rate of every family. */
export const ALPHA = 0.05

/** The rule texts, by rule id. */
export const RULES: Record<VerdictOut['rule'], string> = {
  'h1-task':
    'The pretext task matters (per target x protocol): the F test of the pretext effect on cell means (seed means) against the pretext x dataset interaction, i.e. the test of a fixed pretext effect with the pretraining dataset as a random effect, has Holm-adjusted p < 0.05 over the settings.',
  'h1-similarity':
    'Similarity matters (per target x protocol): a Spearman correlation between a dataset\'s distance to the downstream set and its mean ROC-AUC over pretext tasks (one point per pretraining dataset, exact permutation p) has Holm-adjusted p < 0.05 over the correlations of the report that can reach 0.05. With 4 or fewer datasets no p can reach 0.05 (the smallest exact p is 2/n!): the relation is descriptive, its points are shown, and the verdict is "not testable".',
  'h1-invariance':
    'An invariance matters (per target x protocol): the partial correlation of an encoder\'s baselined invariance with its ROC-AUC, given the pretraining dataset (one point per encoder), has Holm-adjusted p < 0.05 over the correlations of the report that can reach 0.05.',
  'h1-overall':
    'H1 overall: all H1 tests of the report (the task tests and the correlations that can reach 0.05) form one Holm family; "the task side matters more than similarity" only when a task or invariance test survives it and no similarity test does; "similarity matters more" only the other way round; "both" when both kinds survive; otherwise no evidence either way.',
  'h2-fusion':
    'Fusion helps (per fusion set, mode and target): the paired difference fusion - best member (member chosen on validation) has Holm-adjusted p < 0.05 over all fusion comparisons and is positive; negative and surviving is "worse". With one seed the rule is not applied ("not testable"): the interval covers test sampling only and the training noise is unmeasured.',
  'beats-scratch':
    'Pretraining beats scratch (per target): the best pretrained configuration, chosen on validation ROC-AUC among all of them, minus scratch, as a paired difference on the same resamples, has Holm-adjusted p < 0.05 over the targets: positive is "beats scratch", negative "loses to scratch". With one seed the rule is not applied ("not testable"): the interval covers test sampling only and the training noise is unmeasured.',
  'beats-random-init':
    'A pretext encoder beats a frozen random-init ResNet-18 (per encoder, target and frozen-feature protocol, all labels): the paired difference encoder - random-init of the same seeds on the same resamples (the paired test across seeds with two or more) has Holm-adjusted p < 0.05 over every such comparison of the study: positive is "beats", negative "loses to". Random-init, reference and supervised-reference encoders are baselines, never H1 cells. With one seed the rule is not applied ("not testable"): the interval covers test sampling only and the training noise is unmeasured.',
}

/** The measurement notes of the method section: what each number means for H1. */
export const MEASUREMENTS = [
  'Similarity: distances of each pretraining set to the downstream set (Fréchet distance of random-init ResNet-18 features, grey-level histogram L1, radial log-spectrum RMS); smaller = more similar. The noise floor is the distance between two disjoint samples of the downstream set: a distance at or below it says the sets cannot be told apart. For H1 it is the "domain similarity" explanation, one value per pretraining dataset.',
  'Invariance: (cos(x, T x) - cos(x, y)) / (1 - cos(x, y)) of pooled encoder features on validation images, y an unrelated image; 1 = the encoder ignores transform T, 0 = T moves the features as far as swapping in another image, below 0 = further (common when the downstream images all look alike, e.g. chest films). The random-init row is what the architecture gives before any pretraining. For H1 it is the "invariance the task induces" explanation, one value per encoder.',
  'Intervals: 95% percentile bootstrap over test patients (all images of a patient together); with two or more seeds, the hierarchical bootstrap (seeds, then patients). Differences with two or more seeds: a paired t interval over the seeds whose variance adds the seed spread and the test-set sampling; the seed spread is pooled over every comparison of the family (one between-seed variance of the training recipe, sum of k - 1 degrees of freedom): all fusion comparisons of a metric, all random-init comparisons, the scratch comparisons of all targets.',
  'Selection: every "best" (epoch, member, configuration, linear-head learning rate and weight decay of the head sweep) is chosen on validation; test values are reported once, beside how many candidates the choice was made from.',
  'Ensembles: beside each fusion set, the average of its members\' predicted test probabilities (their single-encoder runs, same target, protocol and seed); fusion minus ensemble is a paired difference on the same resamples, descriptive (no verdict), so "fusion beats its best member" can be told from "more models beat one".',
  'Label efficiency: runs on a fraction of the train labels (drawn by patient, stratified, nested, the same subsets for every encoder) give ROC-AUC against fraction per encoder, with the cell intervals; they never enter the main cells or verdicts.',
  'Calibration: expected calibration error (equal-width confidence bins, bin-weighted |accuracy - confidence|) and the Brier score of each run\'s test probabilities, as the engine computed them.',
]

/** The method section as data. */
export function methodOf(): StudyAnalysis['method'] {
  return {
    primaryMetric: PRIMARY_METRIC,
    alpha: ALPHA,
    correction: 'Holm (family-wise error rate 0.05) within each family: the task tests over settings; all correlations that can reach 0.05; all H1 tests together for the overall H1 verdict; all fusion comparisons; the scratch comparisons over targets; the random-init comparisons over every pretext encoder, target and protocol.',
    rules: Object.entries(RULES).map(([rule, text]) => ({ rule, text })),
    measurements: MEASUREMENTS,
  }
}
