// Entry of the lab service's utilityProcess (built to out/main/lab-service.js). Pure Node plus
// Electron's parentPort: the same LabService as `xlab serve` and the CLI.
import { LabService } from '../src-core/service/lab-service.ts'
import { serveParentPort, type ParentPortLike } from './service-port.ts'

const dataRoot = process.argv.find((a) => a.startsWith('--data='))?.slice('--data='.length)
const service = await LabService.open({ dataRoot })
serveParentPort((process as unknown as { parentPort: ParentPortLike }).parentPort, service, () => process.exit(0))
