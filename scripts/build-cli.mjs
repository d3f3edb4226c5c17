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
    // The analysis worker thread (src-core/analysis/off-loop.ts) is its own entry, beside main.js.
    ssr: true,
    outDir: join(root, 'out', 'cli'),
    emptyOutDir: true,
    target: 'node20',
    minify: false,
    sourcemap: true,
    rollupOptions: {
      input: { main: join(root, 'src-core', 'cli', 'main.ts'), 'analysis-worker': join(root, 'src-core', 'analysis', 'worker.ts') },
      output: { format: 'esm', entryFileNames: '[name].js', chunkFileNames: '[name]-[hash].js' },
    },
  },
})
process.stderr.write('[build-cli] out/cli/main.js, out/cli/analysis-worker.js\n')
