// Registers every top-level command. One line per command module.
import { registerCommand } from '../registry.ts'

registerCommand('version', 'print versions of the lab and its engine', () => import('./version.ts'))
