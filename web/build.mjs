// Build the browser validator's files into a folder of the documentation site:
//
//   node web/build.mjs OUT_DIR ENGINE_JSON
//
// OUT_DIR receives page.js and worker.js (bundled by esbuild, with DuckDB-WASM's blocking browser build,
// apache-arrow and the validator's host), page.css, duckdb-eh.wasm (the one wasm build the page needs),
// engine.json (the engine's export: python -m pedcomm.validation.engine.export) and manifest.json (the
// versions and SHA-256 hashes the page shows). Nothing in them refers to another origin; the docs hook
// (pedcomm.docsgen.webapp) runs this after `mkdocs build`, and the tests check every file it wrote.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import nodePath from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const HERE = nodePath.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

async function main([out, engine]) {
  if (!out || !engine) {
    process.stderr.write('usage: node web/build.mjs OUT_DIR ENGINE_JSON\n');
    return 2;
  }
  fs.mkdirSync(out, { recursive: true });
  // DuckDB-WASM's blocking browser build is in its dist/ but not among its package exports
  const blocking = nodePath.join(nodePath.dirname(require.resolve('@duckdb/duckdb-wasm/dist/duckdb-eh.wasm')), 'duckdb-browser-blocking.mjs');
  const dist = { name: 'duckdb-dist', setup(b) { b.onResolve({ filter: /duckdb-browser-blocking\.mjs$/ }, () => ({ path: blocking })); } };
  const common = { plugins: [dist], bundle: true, format: 'esm', platform: 'browser', target: ['es2021'], minify: true, legalComments: 'eof',
    logLevel: 'warning', define: { 'process.env.NODE_ENV': '"production"' } };
  await esbuild.build({ ...common, entryPoints: [nodePath.join(HERE, 'src', 'page.mjs')], outfile: nodePath.join(out, 'page.js') });
  await esbuild.build({ ...common, entryPoints: [nodePath.join(HERE, 'src', 'worker.mjs')], outfile: nodePath.join(out, 'worker.js') });
  fs.copyFileSync(nodePath.join(HERE, 'src', 'page.css'), nodePath.join(out, 'page.css'));
  const wasm = require.resolve('@duckdb/duckdb-wasm/dist/duckdb-eh.wasm');
  fs.copyFileSync(wasm, nodePath.join(out, 'duckdb-eh.wasm'));
  const doc = fs.readFileSync(engine);
  JSON.parse(doc.toString('utf8')); // a broken export fails the build, not the page
  fs.writeFileSync(nodePath.join(out, 'engine.json'), doc);
  const pkg = JSON.parse(fs.readFileSync(nodePath.join(nodePath.dirname(wasm), '..', 'package.json'), 'utf8'));
  const sha = (p) => createHash('sha256').update(fs.readFileSync(p)).digest('hex');
  const files = Object.fromEntries(['page.js', 'worker.js', 'page.css', 'duckdb-eh.wasm', 'engine.json']
    .map((f) => [f, sha(nodePath.join(out, f))]));
  const manifest = { duckdb_wasm: pkg.version, engine_sha256: files['engine.json'], files };
  fs.writeFileSync(nodePath.join(out, 'manifest.json'), `${JSON.stringify(manifest, null, 1)}\n`);
  return 0;
}

main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (e) => {
  process.stderr.write(`web/build.mjs: ${e.stack || e}\n`);
  process.exitCode = 1;
});
