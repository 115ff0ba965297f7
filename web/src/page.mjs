// The "Validate in your browser" page: a folder chosen or dropped, handed to the Web Worker, a progress
// bar while it runs, then the command line's HTML report shown in the page and the JSON report to
// download. The page's own words are here; every word of the report comes from the engine's export.
const app = document.getElementById('pv-app');
const $ = (id) => document.getElementById(id);
const assets = new URL(app?.dataset.assets || 'app/', document.baseURI);
//: About what one tab can hold: DuckDB-WASM's memory is 32-bit (4 GB at most, often less per tab), and the
//: tables it builds take about the size of the files again.
const TAB_LIMIT = 2 * 2 ** 30;

let worker = null;
let lastJson = null;
let lastName = 'package';
let wasmVersion = '';

const gb = (n) => `${(n / 2 ** 30).toFixed(1)} GB`;
const mb = (n) => (n >= 2 ** 30 ? gb(n) : `${Math.max(0.1, n / 2 ** 20).toFixed(1)} MB`);

function say(text, kind = '') {
  const el = $('pv-message');
  el.textContent = text;
  el.className = `pv-message ${kind}`;
  el.hidden = !text;
}

function bar(fraction, text) {
  const p = $('pv-progress');
  p.hidden = false;
  p.value = Math.max(0, Math.min(1, fraction));
  $('pv-phase').textContent = text;
}

async function versions() {
  try {
    const [doc, manifest] = await Promise.all([
      fetch(new URL('engine.json', assets)).then((r) => r.json()),
      fetch(new URL('manifest.json', assets)).then((r) => r.json()),
    ]);
    const p = Object.fromEntries(doc.host.provenance);
    wasmVersion = manifest.duckdb_wasm;
    $('pv-versions').innerHTML = '';
    const rows = [
      ['pedcomm', p.version], ['Standard', p.schema_version],
      ['Check registry', `${Object.keys(doc.registry).length} codes, ${doc.plan.steps.length} SQL steps`],
      ['Plan SHA-256', doc.plan.meta.sha256], ['Engine export SHA-256', manifest.engine_sha256],
      ['DuckDB-WASM', `${manifest.duckdb_wasm} (DuckDB core shown after a run)`],
    ];
    for (const [k, v] of rows) {
      const dt = document.createElement('dt');
      dt.textContent = k;
      const dd = document.createElement('dd');
      dd.textContent = v;
      if (k === 'DuckDB-WASM') dd.id = 'pv-duckdb';
      $('pv-versions').append(dt, dd);
    }
  } catch (e) {
    say(`The validator's files could not be loaded from this site (${e.message}). Validate with the command line: pedcomm validate FOLDER.`, 'bad');
  }
}

/** The files of a dropped folder, with their paths inside it. */
async function dropped(items) {
  const out = [];
  const file = (entry) => new Promise((resolve, reject) => entry.file(resolve, reject));
  const batch = (reader) => new Promise((resolve, reject) => reader.readEntries(resolve, reject));
  async function walk(entry, prefix) {
    if (entry.isFile) out.push({ path: prefix + entry.name, file: await file(entry) });
    else if (entry.isDirectory) {
      const reader = entry.createReader();
      for (let got = await batch(reader); got.length; got = await batch(reader)) {
        for (const e of got) await walk(e, `${prefix}${entry.name}/`);
      }
    }
  }
  for (const entry of items) if (entry) await walk(entry, '');
  return out;
}

/** The bytes the validator will read: the files the descriptor names (all files when it cannot be read). */
async function bytesToRead(entries) {
  const all = entries.reduce((n, e) => n + e.file.size, 0);
  const top = new Set(entries.map((e) => e.path.split('/')[0]));
  const folder = top.size === 1 && entries.every((e) => e.path.includes('/')) ? `${[...top][0]}/` : '';
  const desc = entries.find((e) => e.path === `${folder}datapackage.json`);
  if (!desc || desc.file.size > 64 * 2 ** 20) return all;
  try {
    const d = JSON.parse(await desc.file.text());
    const wanted = new Set((d.resources || []).map((r) => `${folder}${String(r.path).replace(/^\.\//, '')}`));
    return entries.filter((e) => wanted.has(e.path)).reduce((n, e) => n + e.file.size, desc.file.size);
  } catch {
    return all;
  }
}

async function start(entries) {
  if (!entries.length) {
    say('The folder is empty: choose the folder that holds datapackage.json and its data.', 'bad');
    return;
  }
  const size = await bytesToRead(entries);
  if (size > TAB_LIMIT) {
    say(`This package has ${gb(size)} of files, more than a browser tab can hold (about 2 GB). Validate it with the `
      + 'command line instead: pedcomm validate FOLDER (see "Install pedcomm"); nothing was read.', 'bad');
    return;
  }
  lastName = entries[0].path.includes('/') ? entries[0].path.split('/')[0] : 'package';
  say(`Checking ${entries.length} files (${mb(size)}) in this tab ...`);
  $('pv-result').hidden = true;
  $('pv-downloads').hidden = true;
  $('pv-choose').disabled = true;
  bar(0, 'Starting the validator ...');
  worker = worker || new Worker(new URL('worker.js', assets), { type: 'module' });
  worker.onmessage = (event) => message(event.data);
  worker.onerror = (e) => {
    say(`The validator stopped: ${e.message}. Validate with the command line: pedcomm validate FOLDER.`, 'bad');
    $('pv-choose').disabled = false;
  };
  worker.postMessage({ entries });
}

function message(m) {
  if (m.type === 'engine') $('pv-duckdb').textContent = `${wasmVersion} (DuckDB core ${m.duckdb})`;
  else if (m.type === 'progress') {
    if (m.phase === 'engine') bar(0.1 * (m.total ? m.bytes / m.total : 0), 'Loading the validator ...');
    else if (m.phase === 'read' && m.total) bar(0.1 + 0.4 * (m.bytes / m.total), `Reading the files: ${mb(m.bytes)} of ${mb(m.total)}`);
    else if (m.phase === 'table') $('pv-phase').textContent = `Reading ${m.resource} ...`;
    else if (m.phase === 'checks') bar(0.5 + 0.5 * (m.step / m.steps), `Checking${m.resource ? ` ${m.resource}` : ''}: step ${m.step} of ${m.steps}`);
  } else if (m.type === 'done') {
    bar(1, `Done in ${m.seconds.toFixed(1)} s.`);
    lastJson = m.json;
    const words = { valid: 'VALID', invalid: 'INVALID', unreadable: 'UNREADABLE' }[m.status];
    const n = (k, one, many) => `${k} ${k === 1 ? one : many}`;
    say(`${words}: ${n(m.errors, 'error', 'errors')}, ${n(m.warnings, 'warning', 'warnings')}, ${n(m.infos, 'note', 'notes')}. `
      + 'The report below is the one '
      + '`pedcomm validate --format html` writes; checks a browser cannot run are listed under "Checks that could not run".',
    m.status === 'valid' ? 'good' : 'bad');
    show(m.html);
    $('pv-downloads').hidden = false;
    $('pv-choose').disabled = false;
  } else if (m.type === 'error') {
    say(`The validator stopped: ${m.message}`, 'bad');
    $('pv-choose').disabled = false;
  }
}

function show(html) {
  const frame = $('pv-report');
  frame.srcdoc = html;
  frame.onload = () => {
    const fit = () => { frame.style.height = `${frame.contentDocument.documentElement.scrollHeight + 4}px`; };
    fit();
    new ResizeObserver(fit).observe(frame.contentDocument.body);
  };
  $('pv-result').hidden = false;
}

function download() {
  const blob = new Blob([lastJson], { type: 'application/json' });
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = `pedcomm-validation-${lastName}.json`;
  document.body.append(a);
  a.click();
  setTimeout(() => { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
}

if (app) {
  versions();
  $('pv-folder').addEventListener('change', (ev) => {
    const files = [...ev.target.files];
    start(files.map((f) => ({ path: f.webkitRelativePath || f.name, file: f })));
    ev.target.value = '';
  });
  $('pv-choose').addEventListener('click', () => $('pv-folder').click());
  const drop = $('pv-drop');
  drop.addEventListener('dragover', (ev) => { ev.preventDefault(); drop.classList.add('pv-over'); });
  drop.addEventListener('dragleave', () => drop.classList.remove('pv-over'));
  drop.addEventListener('drop', async (ev) => {
    ev.preventDefault();
    drop.classList.remove('pv-over');
    const items = [...ev.dataTransfer.items].map((i) => (i.webkitGetAsEntry ? i.webkitGetAsEntry() : null));
    start(items.some(Boolean) ? await dropped(items) : [...ev.dataTransfer.files].map((f) => ({ path: f.name, file: f })));
  });
  $('pv-download').addEventListener('click', download);
  app.hidden = false;
  $('pv-noscript').hidden = true;
}
