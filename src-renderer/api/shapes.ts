// Result shapes the views draw, named once from the API's declared outputs (src-core/api/results.ts).
import type { CallOutput, EventPayload } from './client.ts'

/** One row of `results.table` (a downstream run with its test metrics). */
export type ResultRow = CallOutput<'results.table'>[number]
/** Test metrics of a downstream run. */
export type RunMetrics = ResultRow['metrics']
/** `results.run`: confusion matrix, ROC curves, training curves, test metrics. */
export type RunResult = CallOutput<'results.run'>
/** One ROC curve. */
export type RocCurve = RunResult['roc'][number]
/** `results.analysis`. */
export type StudyAnalysisView = CallOutput<'results.analysis'>
/** `results.report`: the folder written and its self-contained HTML. */
export type StudyReport = CallOutput<'results.report'>
/** `gallery.page`: one page of a run's test images with true and predicted class. */
export type GalleryPageView = CallOutput<'gallery.page'>
/** One test image of the gallery. */
export type GalleryItemView = GalleryPageView['items'][number]
/** `gallery.pair`: two runs on the same test images. */
export type GalleryPairView = CallOutput<'gallery.pair'>
/** `results.compare`: each picked run against the first, paired on the same test images. */
export type RunsComparisonView = CallOutput<'results.compare'>
/** `onAnalysisProgress`: how far the study analysis is (phase, done of total). */
export type AnalysisProgressView = EventPayload<'onAnalysisProgress'>
