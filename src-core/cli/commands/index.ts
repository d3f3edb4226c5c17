// Registers every top-level command. One line per command module.
import { registerCommand } from '../registry.ts'

registerCommand('version', 'print versions of the lab and its engine', () => import('./version.ts'))
registerCommand('doctor', 'check (and on first use set up) the engine environment, GPU and disk; --json, --repair', () => import('./doctor.ts'))
registerCommand('serve', 'serve the lab UI and API on 127.0.0.1 with an access token', () => import('./serve.ts'))
registerCommand('study', 'plan and run studies (create, plan, run, status, resume, cancel, list, report)', () => import('./study.ts'))
registerCommand('runs', 'inspect runs (list, show, logs, metrics)', () => import('./runs.ts'))
registerCommand('datasets', 'import, generate and inspect datasets (demo, import, list, show, sheet, remove)', () => import('./datasets.ts'))
registerCommand('encoders', 'import and list reference encoders (a torchvision resnet18 state_dict you bring)', () => import('./encoders.ts'))
