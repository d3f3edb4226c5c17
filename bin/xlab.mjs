#!/usr/bin/env node
// Runs the TypeScript CLI from source through tsx (no separate build step for the CLI).
import { register } from 'tsx/esm/api'

register()
await import('../src-core/cli/main.ts')
