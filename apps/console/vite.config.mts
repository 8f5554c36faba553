import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = fileURLToPath(new URL('.', import.meta.url));

/** The console builds to dist/console, which the API serves at /console. `vite` here proxies the API for development. */
export default defineConfig({
  root: here,
  base: '/console/',
  publicDir: 'public',
  build: {
    outDir: fileURLToPath(new URL('../../dist/console', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    modulePreload: { polyfill: false },
    reportCompressedSize: false,
  },
  server: {
    proxy: { '/v1': process.env.ADLOOM_API_URL ?? 'http://127.0.0.1:3000' },
  },
});
