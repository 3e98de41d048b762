// Builds the Fabric Manager into dist/: one JS and one CSS file under
// dist/assets/ with content hashes in their names (served as immutable), and
// dist/index.html pointing at them (served as no-cache). vgwd embeds dist/ at
// build time (web/embed_assets.cmake), so dist/ is committed: vgwd's build
// needs neither npm nor the network.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const here = path.dirname(fileURLToPath(import.meta.url));
const dist = path.join(here, 'dist');
fs.rmSync(dist, { recursive: true, force: true });

const result = await esbuild.build({
  absWorkingDir: here,
  entryPoints: { app: 'src/main.js' },
  bundle: true,
  minify: true,
  format: 'iife',
  target: ['es2020'],
  outdir: 'dist/assets',
  entryNames: '[name]-[hash]',
  metafile: true,
  legalComments: 'eof', // cytoscape's MIT notice stays in the bundle
  logLevel: 'warning',
});

const outputs = Object.keys(result.metafile.outputs).map((p) => path.basename(p));
const js = outputs.find((f) => f.endsWith('.js'));
const css = outputs.find((f) => f.endsWith('.css'));
if (!js || !css) throw new Error(`build: expected one .js and one .css, got ${outputs.join(', ')}`);

const html = fs
  .readFileSync(path.join(here, 'src/index.html'), 'utf8')
  .replace('%APP_CSS%', `/assets/${css}`)
  .replace('%APP_JS%', `/assets/${js}`);
fs.writeFileSync(path.join(dist, 'index.html'), html);

for (const f of fs.readdirSync(path.join(dist, 'assets')).sort()) {
  const size = fs.statSync(path.join(dist, 'assets', f)).size;
  console.log(`dist/assets/${f}  ${(size / 1024).toFixed(1)} KiB`);
}
console.log('dist/index.html');
