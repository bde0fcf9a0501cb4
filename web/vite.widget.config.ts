// The embeddable chat widget (web/src/widget): one self-contained IIFE, web/dist/widget.js,
// with its CSS inside. Built after the main app build (which empties web/dist).
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vite'

export default defineConfig({
  publicDir: false,
  build: {
    outDir: 'dist',
    emptyOutDir: false,
    target: 'es2022',
    sourcemap: false,
    lib: {
      entry: fileURLToPath(new URL('./src/widget/main.ts', import.meta.url)),
      name: 'YiwenWidgetBundle',
      formats: ['iife'],
      fileName: () => 'widget.js',
    },
  },
})
