// The supervisor's one entry point to the protocol (runner/protocol.ts, engine team), so the rest
// of the runner depends only on these names.
export { engineJob, parseWorkerLine, type WorkerMessage } from './protocol.ts'
