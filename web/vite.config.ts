import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { precompress } from './precompress.ts';

/** The dashboard's browser app: built into web/dist, which the dashboard server serves. */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  // Vite 8 transforms with Oxc: Preact's automatic JSX runtime, no plugin needed.
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: { outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 1_000 },
  plugins: [precompress()],
  logLevel: 'warn',
});
