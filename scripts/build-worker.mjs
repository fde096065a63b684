// Bundles the scan worker into one self-contained file (lib/scan/scan.worker.js) before the
// labextension build: a federated worker cannot reach JupyterLab's shared modules, so it
// must carry its own copy of everything it imports (@qdrant/js-client-rest included).
import { build } from 'esbuild';

await build({
  entryPoints: ['src/scan/scan.worker.ts'],
  outfile: 'lib/scan/scan.worker.js',
  bundle: true,
  format: 'iife',
  platform: 'browser',
  target: 'es2020',
  conditions: ['browser'],
  sourcemap: process.argv.includes('--sourcemap'),
  minify: !process.argv.includes('--dev'),
  logLevel: 'warning'
});
