#!/usr/bin/env node
// Builds the `xlab` CLI (and with it the lab service, the HTTP server and the run queue) into
// plain JavaScript under out/cli/, so an installed package runs without a TypeScript loader.
// npm dependencies stay external (installed beside the package); the engine and the built UI are
// found next to out/ at run time (src-core/environment/resources.ts).
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'vite'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
await build({
  root,
  configFile: false,
  logLevel: 'warn',
  build: {
    ssr: join(root, 'src-core', 'cli', 'main.ts'),
    outDir: join(root, 'out', 'cli'),
    emptyOutDir: true,
    target: 'node20',
    minify: false,
    sourcemap: true,
    rollupOptions: { output: { format: 'esm', entryFileNames: 'main.js', chunkFileNames: '[name]-[hash].js' } },
  },
})
process.stderr.write('[build-cli] out/cli/main.js\n')
