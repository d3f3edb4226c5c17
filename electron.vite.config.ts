import vue from '@vitejs/plugin-vue'
import { defineConfig, externalizeDepsPlugin } from 'electron-vite'
import { resolve } from 'node:path'

export default defineConfig({
  main: {
    plugins: [externalizeDepsPlugin()],
    build: {
      rollupOptions: {
        // The analysis worker thread of the lab service (src-core/analysis/off-loop.ts) is its own entry.
        input: { index: resolve('src-main/index.ts'), 'lab-service': resolve('src-main/lab-service-entry.ts'), 'analysis-worker': resolve('src-core/analysis/worker.ts') },
      },
    },
  },
  preload: {
    plugins: [externalizeDepsPlugin()],
    // Sandboxed preloads cannot load ES modules: emit CommonJS (src-main/index.ts loads index.cjs).
    build: { rollupOptions: { input: { index: resolve('src-preload/index.ts') }, output: { format: 'cjs', entryFileNames: '[name].cjs' } } },
  },
  renderer: {
    root: 'src-renderer',
    plugins: [vue()],
    // Views are loaded on first use (App.vue); Chart.js gets its own chunk, fetched only by the views that draw charts.
    build: { rollupOptions: { input: { index: resolve('src-renderer/index.html') }, output: { manualChunks: (id) => (id.includes('node_modules/chart.js') || id.includes('node_modules/@kurkle') ? 'chart' : undefined) } } },
  },
})
