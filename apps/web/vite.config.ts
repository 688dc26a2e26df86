import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// In dev, the API (REST and socket.io) is proxied, so the app talks to its own origin as it does
// when the API serves the built app (NETATLAS_WEB_DIR).
const api = process.env['NETATLAS_API_URL'] ?? 'http://127.0.0.1:3000';
const proxy = {
  '/api': { target: api, changeOrigin: true },
  '/socket.io': { target: api, changeOrigin: true, ws: true },
};

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  resolve: { tsconfigPaths: true },
  build: {
    outDir: fileURLToPath(new URL('../../dist/apps/web', import.meta.url)),
    emptyOutDir: true,
    chunkSizeWarningLimit: 800,
  },
  server: { host: '127.0.0.1', port: 4200, proxy },
  preview: { host: '127.0.0.1', port: 4300, proxy },
});
