import vue from '@vitejs/plugin-vue'
import { defineConfig } from 'vitest/config'

export default defineConfig({
  plugins: [vue()],
  test: {
    globalSetup: ['tests/global-tmp.ts'],
    projects: [
      {
        extends: true,
        test: { name: 'core', include: ['tests/core/**/*.test.ts', 'tests/main/**/*.test.ts'], environment: 'node', testTimeout: 120_000, hookTimeout: 120_000, pool: 'forks' },
      },
      {
        extends: true,
        test: { name: 'renderer', include: ['tests/renderer/**/*.test.ts'], environment: 'jsdom' },
      },
    ],
  },
})
