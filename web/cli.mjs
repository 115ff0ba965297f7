#!/usr/bin/env node
// The browser validator's code under Node: `node web/cli.mjs DIR` validates a package as `pedcomm validate
// DIR --format json` does, with the same report and exit status (0 valid, 1 errors, 2 unreadable), by
// running the engine's exported plan on DuckDB-WASM. It exists so that CI proves the page's code gives
// the command line's reports (tests/test_web_host.py); sites use `pedcomm validate` or the page.
//
//   node web/cli.mjs DIR [--format json|html] [--max-findings N] [--show-values] [--timestamp] [--engine FILE]
//   node web/cli.mjs --each LIST [--engine FILE]   (LIST: lines "PACKAGE<TAB>OUT[<TAB>{options}]"; writes OUT.json,
//                                                   OUT.html and OUT.exit: many packages in one process, for the tests)
import fs from 'node:fs';
import { createRequire } from 'node:module';
import nodePath from 'node:path';
import { fileURLToPath } from 'node:url';
import { Database } from './src/db.mjs';
import { validate } from './src/host.mjs';
import { NodeSource, nodeFiles } from './src/node-source.mjs';
import { toHtml, toJson } from './src/render.mjs';

const HERE = nodePath.dirname(fileURLToPath(import.meta.url));
// a reader that stops early (`| head`) ends the output quietly, as the command line does
process.stdout.on('error', (e) => { if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0); else throw e; });
const USAGE = 'usage: node web/cli.mjs DIR [--format json|html] [--max-findings N] [--show-values] [--timestamp] [--engine FILE]';

export async function openDatabase() {
  const require = createRequire(import.meta.url);
  const blocking = require.resolve('@duckdb/duckdb-wasm/dist/duckdb-node-blocking.cjs');
  const duckdb = require(blocking);
  const dist = nodePath.dirname(blocking);
  const bundles = {
    mvp: { mainModule: nodePath.join(dist, 'duckdb-mvp.wasm'), mainWorker: nodePath.join(dist, 'duckdb-node-mvp.worker.cjs') },
    eh: { mainModule: nodePath.join(dist, 'duckdb-eh.wasm'), mainWorker: nodePath.join(dist, 'duckdb-node-eh.worker.cjs') },
  };
  const bindings = await duckdb.createDuckDB(bundles, new duckdb.VoidLogger(), duckdb.NODE_RUNTIME);
  await bindings.instantiate();
  return new Database(bindings, nodeFiles);
}

/** The date and time of a run, as the command line writes it (SOURCE_DATE_EPOCH's when it is set). */
function now() {
  const epoch = (process.env.SOURCE_DATE_EPOCH || '').trim();
  const t = /^\d+$/.test(epoch) ? new Date(Number(epoch) * 1000) : new Date();
  return `${t.toISOString().slice(0, 19)}+00:00`;
}

function parse(argv) {
  const opts = { format: 'json', maxFindings: null, reveal: false, timestamp: false, engine: nodePath.join(HERE, 'dist', 'engine.json') };
  const rest = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--format') opts.format = value().toLowerCase();
    else if (a === '--max-findings') opts.maxFindings = Number(value());
    else if (a === '--show-values') opts.reveal = true;
    else if (a === '--timestamp') opts.timestamp = true;
    else if (a === '--engine') opts.engine = value();
    else if (a === '--each') opts.each = value();
    else if (a === '--help' || a === '-h') opts.help = true;
    else if (a.startsWith('--')) throw new Error(`unknown option ${a}`);
    else rest.push(a);
  }
  if (!['json', 'html'].includes(opts.format)) throw new Error('--format must be json or html');
  if (opts.maxFindings !== null && !(Number.isInteger(opts.maxFindings) && opts.maxFindings >= 0)) {
    throw new Error('--max-findings must be 0 or more');
  }
  return [opts, rest];
}

async function one(db, doc, dir, opts) {
  const source = new NodeSource(dir, doc.host);
  const { report, origins } = await validate({ doc, source, db, maxListed: opts.maxFindings, reveal: opts.reveal });
  if (opts.timestamp) report.meta.validated_at = now();
  return { report, origins };
}

async function main(argv) {
  let opts;
  let rest;
  try {
    [opts, rest] = parse(argv);
  } catch (e) {
    process.stderr.write(`${e.message}\n${USAGE}\n`);
    return 2;
  }
  if (opts.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (!opts.each && rest.length !== 1) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  let doc;
  try {
    doc = JSON.parse(fs.readFileSync(opts.engine, 'utf8'));
  } catch (e) {
    process.stderr.write(`the engine's export ${opts.engine} cannot be read (${e.message}): build it with `
      + '`make web` (python -m pedcomm.validation.engine.export)\n');
    return 2;
  }
  const db = await openDatabase();
  if (opts.each) {
    const lines = fs.readFileSync(opts.each, 'utf8').split('\n').filter(Boolean);
    for (const line of lines) {
      const [dir, out, extra] = line.split('\t');
      const o = extra ? JSON.parse(extra) : {};
      const started = performance.now();
      const { report, origins } = await one(db, doc, dir, { ...opts, maxFindings: o.max_findings ?? opts.maxFindings,
        reveal: o.show_values ?? opts.reveal });
      process.stderr.write(`${((performance.now() - started) / 1000).toFixed(2)} s ${dir}\n`);
      fs.writeFileSync(`${out}.json`, toJson(report, origins, process.env));
      fs.writeFileSync(`${out}.html`, toHtml(report, origins, process.env));
      fs.writeFileSync(`${out}.exit`, String(report.exitCode));
    }
    return 0;
  }
  const { report, origins } = await one(db, doc, rest[0], opts);
  process.stdout.write(opts.format === 'html' ? toHtml(report, origins, process.env) : toJson(report, origins, process.env));
  return report.exitCode;
}

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
}, (e) => {
  process.stderr.write(`pedcomm (browser validator under Node): ${e.stack || e}\n`);
  process.exitCode = 3;
});
