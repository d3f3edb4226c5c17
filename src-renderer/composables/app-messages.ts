// The service's sentences name CLI commands where the CLI is the caller ("xlab datasets remove X");
// inside the app the same advice points at the view that does it.

const RULES: [RegExp, string][] = [
  [/\(xlab datasets import \.\.\., or xlab datasets demo for the demo sets\)/g, '(Datasets view: Import…, or Generate demo datasets)'],
  [/Remove it \(xlab datasets remove [^)]*\) or choose another --name\./g, 'Remove it in the Datasets view or choose another name.'],
  [/List them with xlab datasets list\./g, 'The Datasets view lists them.'],
  [/List runs with `xlab runs list`\./g, 'The Runs view lists them.'],
  [/List studies with `xlab study list`\./g, 'The Runs view lists the studies.'],
  [/start from a preset \(xlab study create --preset (\w+)\)/g, 'start from a preset (the builder\'s Preset menu: $1)'],
  [/\s*\(xlab datasets show <id> --all\)/g, ''],
  [/Resume the study \(xlab study resume NAME\)/g, 'Resume the study (Resume in the Runs view)'],
  [/, or retry it alone in the app's Runs view/g, ', or retry it alone (Retry on that run)'],
]

/** A service sentence phrased for the app. */
export function appPhrased(message: string): string {
  return RULES.reduce((m, [re, to]) => m.replace(re, to), message)
}
