// The page's Web Worker: DuckDB-WASM (its blocking browser build, one wasm file served beside this
// script) and the validator's host, so a long validation never freezes the page. It is given the picked
// files and answers with progress, then the JSON and HTML reports. Nothing is fetched but this site's
// own files (the wasm and the engine's export); the package's files are read here, in the tab.
import * as duckdb from '@duckdb/duckdb-wasm/dist/duckdb-browser-blocking.mjs';
import { BrowserSource, browserFiles } from './browser-source.mjs';
import { Database } from './db.mjs';
import { validate } from './host.mjs';
import { toHtml, toJson } from './render.mjs';

let ready = null;
const post = (m) => self.postMessage(m);

async function setup() {
  const here = new URL('./', self.location.href);
  const doc = await (await fetch(new URL('engine.json', here))).json();
  const wasm = new URL('duckdb-eh.wasm', here).href;
  let bindings;
  try {
    bindings = await duckdb.createDuckDB({ mvp: { mainModule: wasm, mainWorker: '' }, eh: { mainModule: wasm, mainWorker: '' } },
      new duckdb.VoidLogger(), duckdb.BROWSER_RUNTIME);
    await bindings.instantiate((p) => post({ type: 'progress', phase: 'engine', bytes: p.bytesLoaded, total: p.bytesTotal }));
  } catch (e) {
    throw new Error(`this browser cannot run DuckDB-WASM (${e.message || e}): use a current Chrome, Edge, Firefox or `
      + 'Safari, or the command line (pedcomm validate)');
  }
  const db = new Database(bindings, browserFiles(duckdb.DuckDBDataProtocol.BROWSER_FILEREADER));
  return { doc, db, duckdb: db.version() };
}

function now() {
  return `${new Date().toISOString().slice(0, 19)}+00:00`;
}

self.onmessage = async (event) => {
  const { entries, reveal = false, maxListed = null } = event.data;
  try {
    ready = ready || setup();
    const { doc, db, duckdb: version } = await ready;
    post({ type: 'engine', duckdb: version });
    const started = performance.now();
    const source = new BrowserSource(entries, doc.host);
    const { report, origins } = await validate({ doc, source, db, reveal, maxListed,
      progress: (p) => post({ type: 'progress', ...p }) });
    report.meta.validated_at = now();
    const t = report.totals();
    post({ type: 'done', json: toJson(report, origins), html: toHtml(report, origins), status: report.status,
      exit: report.exitCode, errors: t.error, warnings: t.warning, infos: t.info, package: report.meta.package,
      skipped: report.skipped().filter((r) => source.limits.some(([code, reason]) => code === r.code && reason === r.reason)).length,
      seconds: (performance.now() - started) / 1000 });
  } catch (e) {
    post({ type: 'error', message: String(e.message || e) });
  }
};
