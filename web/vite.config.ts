// Vite: the production build goes to web/dist, which the server serves at `/`. In development, API and
// socket calls are proxied to a server on :4000.
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

export default defineConfig({
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false, target: 'es2022' },
  server: {
    proxy: {
      '/api': 'http://127.0.0.1:4000',
      '/socket': { target: 'ws://127.0.0.1:4000', ws: true },
    },
  },
});
