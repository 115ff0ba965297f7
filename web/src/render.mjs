// The report's renderings (pedcomm.validation.report.render, .html, .origin; pedcomm.validation.hints):
// the JSON report, key for key, and the HTML report's body, word for word; the texts of checks, hints
// and the verdict come from the export, and tests/test_web_host.py compares both renderings with
// Python's on every conformance case.
import { InputRefused, OsError, closestNames } from './files.mjs';
import { JSONRefused, loads } from './pyjson.mjs';
import { dumpsReport, get, isDict, isInt, isList, isStr, sorted, str } from './py.mjs';
import { key } from './report.mjs';

// -- words ------------------------------------------------------------------------------------------

export function plural(n, word, facts, many = null) {
  return `${n} ${n === 1 ? word : many || facts.report.irregular[word] || `${word}s`}`;
}

function noun(n, word, facts) {
  return n === 1 ? word : facts.report.irregular[word] || `${word}s`;
}

export function see(code, facts, env = {}) {
  const url = env.PEDCOMM_DOCS_URL || facts.report.docs_url;
  return url ? `${url.replace(/\/+$/, '')}/checks/#${code.toLowerCase()}` : `pedcomm explain ${code}`;
}

// -- hints ------------------------------------------------------------------------------------------

function renamedColumns(report) {
  const missing = new Map();
  const unknown = new Map();
  for (const c of report.counts.values()) {
    if (!c.n || !c.field) continue;
    const m = c.code === 'COLUMN_MISSING' ? missing : c.code === 'COLUMN_UNKNOWN' ? unknown : null;
    if (m) {
      if (!m.has(c.resource)) m.set(c.resource, []);
      m.get(c.resource).push(c.field);
    }
  }
  const out = [];
  for (const res of sorted([...missing.keys()].filter((r) => unknown.has(r)))) {
    for (const [col, guess] of sorted([...closestNames(unknown.get(res), missing.get(res))], (kv) => kv)) out.push([res, col, guess]);
  }
  return out;
}

export function hints(report) {
  const facts = report.facts;
  const kinds = new Map(facts.hints.map(([k, title, action]) => [k, { title, action }]));
  const out = new Map();
  const hint = (kind) => {
    if (!out.has(kind)) out.set(kind, { kind, ...kinds.get(kind), count: 0, where: [], codes: [] });
    return out.get(kind);
  };
  for (const [res, col, guess] of renamedColumns(report)) {
    const h = hint('renamed_column');
    h.count += 1;
    h.where.push(`${res}: '${col}' -> '${guess}'`);
    h.codes = ['COLUMN_MISSING', 'COLUMN_UNKNOWN'];
  }
  for (const c of sorted(report.clues, (x) => [x.kind, x.resource ?? '', x.field ?? '', x.code])) {
    if (!kinds.has(c.kind)) continue;
    const h = hint(c.kind);
    h.count += c.count;
    const where = c.field ? `${c.resource}: ${c.field}` : str(c.resource);
    if (!h.where.includes(where)) h.where.push(where);
    if (!h.codes.includes(c.code)) h.codes.push(c.code);
  }
  return facts.hints.map(([k]) => out.get(k)).filter(Boolean).map((h) => {
    const what = h.kind === 'renamed_column' ? noun(h.count, 'column', facts) : noun(h.count, 'finding', facts);
    const summary = `${h.title}: ${h.count} ${what} in ${h.where.slice(0, 6).join(', ')}${h.where.length > 6 ? ' ...' : ''}`;
    return { kind: h.kind, title: h.title, action: h.action, count: h.count, where: h.where, codes: h.codes, summary };
  });
}

// -- where a row came from (report/origin.py) -------------------------------------------------------

export async function annotate(report, source) {
  const doc = await provenance(report, source);
  const out = new Map();
  if (doc === null) return out;
  const src = isDict(get(doc, 'source')) ? get(doc, 'source') : null;
  const tool = report.label(src ? get(src, 'tool') : null) || 'source';
  const file = report.label(src ? get(src, 'file') : null) || 'the source file';
  const read = new Set(report.inputs.map((i) => JSON.stringify([i.path, i.sha256])));
  const tables = get(doc, 'tables');
  for (const f of report.findings) {
    const entry = f.resource ? get(tables, f.resource) : null;
    if (f.row === null || !isDict(entry) || !read.has(JSON.stringify([get(entry, 'path'), get(entry, 'sha256')]))) continue;
    const rows = get(entry, 'rows');
    const k = f.row - 2;
    if (!isList(rows) || !(k >= 0 && k < rows.length) || !isList(rows[k])) continue;
    const variables = isDict(get(entry, 'variables')) ? get(entry, 'variables') : new Map();
    const found = rows[k].map((raw) => origin(raw, tool, file, f.field, variables, report)).filter(Boolean);
    const withField = found.filter((o) => o.field);
    if (found.length) out.set(f, withField.length ? withField : found);
  }
  return out;
}

async function provenance(report, source) {
  try {
    const doc = loads(await source.read(source.provenancePath, 'provenance'));
    return isDict(doc) && get(doc, 'format') === 'pedcomm-provenance/1' && isDict(get(doc, 'tables')) ? doc : null;
  } catch (e) {
    if (e instanceof JSONRefused || e instanceof InputRefused || e instanceof OsError) return null;
    throw e;
  }
}

function origin(raw, tool, file, field, variables, report) {
  if (!(isList(raw) && raw.length === 5 && isInt(raw[0]))) return null;
  const [row, record, instrument0, instance, own] = raw;
  const text = (v) => (isStr(v) && v ? report.label(v) : null);
  const instrument = text(instrument0);
  let variable = null;
  if (isStr(own) && own) variable = own;
  else if (field) {
    const byInstrument = get(variables, field);
    variable = isDict(byInstrument) ? get(byInstrument, instrument) : null;
  }
  const shown = isStr(record) && record ? report.shown([record], false)[0] : null;
  return { tool, file, row: typeof row === 'bigint' ? Number(row) : row, record: shown, instrument,
    instance: isInt(instance) ? instance : null, field: text(variable) };
}

const originText = (o) => {
  let what = `${o.tool} record ${o.record || '?'}`;
  if (o.instrument) what += `, ${o.instrument}${o.instance !== null ? ` #${str(o.instance)}` : ''}`;
  if (o.field) what += `, field ${o.field}`;
  return `${what} (row ${str(o.row)} of ${o.file})`;
};

// -- the JSON report (render.as_dict) -----------------------------------------------------------------

export function asDict(report, origins, env = {}) {
  const t = report.totals();
  const facts = report.facts;
  return {
    ...report.meta,
    status: report.status,
    errors: t.error, warnings: t.warning, infos: t.info,
    findings_listed: report.findings.length,
    findings_not_listed: report.unlisted(),
    inputs: report.inputs,
    tables: report.tables,
    checks: [...report.runs.values()].map((r) => ({ code: r.code, severity: report.spec(r.code).severity, resource: r.resource,
      field: r.field, status: r.status, checked: r.checked, failed: r.failed, reason: r.reason })),
    skipped: report.skipped().map((r) => ({ code: r.code, resource: r.resource, field: r.field, reason: r.reason })),
    hints: hints(report).map((h) => ({ kind: h.kind, title: h.title, action: h.action, count: h.count, where: h.where,
      codes: h.codes, summary: h.summary })),
    findings: report.sortedFindings().map((f) => ({ code: f.code, severity: f.severity, category: f.category, resource: f.resource,
      field: f.field, row: f.row, value: f.value, message: f.message, action: f.action, record: f.record,
      see: see(f.code, facts, env),
      ...(origins.has(f) ? { source: origins.get(f).map((o) => ({ tool: o.tool, file: o.file, row: o.row, record: o.record,
        instrument: o.instrument, instance: o.instance, field: o.field })) } : {}) })),
  };
}

export const toJson = (report, origins, env) => `${dumpsReport(asDict(report, origins, env))}\n`;

// -- the HTML report (report/html.py) -------------------------------------------------------------------

const SEVERITY_ORDER = ['error', 'warning', 'info'];

function reportSeverity(report, code) {
  const sev = new Set([...report.counts.values()].filter((c) => c.code === code && c.n).map((c) => report.spec(c.code).severity));
  return sev.size ? SEVERITY_ORDER.find((s) => sev.has(s)) : report.spec(code).severity;
}

export function codesInOrder(report) {
  return sorted([...report.codes()], (c) => [SEVERITY_ORDER.indexOf(reportSeverity(report, c)), c]);
}

function codeCount(report, code) {
  return [...report.counts.values()].filter((c) => c.code === code).reduce((a, c) => a + c.n, 0);
}

export function verdict(report) {
  const t = report.totals();
  const f = report.facts;
  return `${report.status.toUpperCase()}: ${plural(t.error, 'error', f)}, ${plural(t.warning, 'warning', f)}, `
    + `${plural(t.info, 'note', f)} from ${plural(report.runs.size, 'check', f)} on ${plural(report.inputs.length, 'file', f)}`;
}

export function e(value) {
  if (value === null || value === undefined) return '';
  return str(value).replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;')
    .replaceAll("'", '&#x27;');
}

function table(header, rows, numeric = new Set()) {
  const num = ' class="num"';
  const head = header.map((h, i) => `<th${numeric.has(i) ? num : ''}>${h}</th>`).join('');
  const body = rows.map((r) => `<tr>${r.map((c, i) => `<td${numeric.has(i) ? num : ''}>${c}</td>`).join('')}</tr>\n`).join('');
  return `<div class="scroll"><table>\n<thead><tr>${head}</tr></thead>\n<tbody>\n${body}</tbody>\n</table></div>\n`;
}

const badge = (kind, text = null) => `<span class="sev sev-${e(kind)}">${e(text || kind)}</span>`;

function when(iso) {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})(?::\d{2}(?:\.\d+)?)?(Z|[+-]\d{2}:\d{2})?$/.exec(str(iso));
  if (!m) return str(iso);
  if (!m[3]) return `${m[1]} ${m[2]}`;
  const t = new Date(str(iso));
  return `${t.toISOString().slice(0, 10)} ${t.toISOString().slice(11, 16)} UTC`;
}

/** html.to_html's body: the parts between <body> and </body>. */
export function htmlBody(report, origins, env = {}) {
  const facts = report.facts;
  const meta = report.meta;
  const status = report.status;
  const klass = status === 'valid' && report.totals().warning ? 'v-warning' : `v-${status}`;
  const site = meta.site;
  const parts = [`<h1>Validation report${site ? ` for site ${e(site)}` : ''}</h1>`,
    `<p class="meta">Package <code>${e(meta.package)}</code>; pedcomm ${e(meta.version)}, standard ${e(meta.schema_version)}`
    + (meta.validated_at ? `; validated <time datetime="${e(meta.validated_at)}">${e(when(meta.validated_at))}</time>` : '') + '.</p>',
    `<div class="verdict ${klass}"><div class="status">${e(status.toUpperCase())}</div>`
    + `<p>${e(verdict(report).split(': ').slice(1).join(': '))}.</p><p>${e(facts.report.verdict_advice[status])}</p></div>`];
  const grouped = hints(report);
  if (grouped.length) {
    parts.push('<h2>One cause, many findings</h2>');
    for (const h of grouped) parts.push(`<div class="hint"><strong>${e(h.summary)}</strong><br>${e(h.action)}</div>`);
  }
  const codes = codesInOrder(report);
  if (codes.length) {
    parts.push(`<h2>Findings by check (${plural(codes.length, 'check', facts)} with findings)</h2>`);
    const toc = codes.map((c) => [`<a href="#${e(c.toLowerCase())}"><code>${e(c)}</code></a>`, badge(reportSeverity(report, c)),
      e(report.spec(c).title), String(codeCount(report, c))]);
    parts.push(table(['Code', 'Severity', 'Check', 'Findings'], toc, new Set([3])));
  }
  const byCode = new Map();
  for (const f of report.sortedFindings()) {
    if (!byCode.has(f.code)) byCode.set(f.code, []);
    byCode.get(f.code).push(f);
  }
  for (const code of codes) {
    const s = report.spec(code);
    const n = codeCount(report, code);
    const listed = byCode.get(code) || [];
    parts.push(`<section class="check" id="${e(code.toLowerCase())}"><h3>${badge(reportSeverity(report, code))} `
      + `<code>${e(code)}</code> ${e(s.title)}: ${plural(n, 'finding', facts)}</h3>`);
    parts.push(`<div class="remedy"><strong>What to do:</strong> ${e(s.action)} `
      + `<span class="muted">(more: <code>${e(see(code, facts, env))}</code>)</span></div>`);
    if (listed.length) {
      const traced = listed.some((f) => origins.has(f));
      const rows = listed.map((f) => [e(f.resource || '(package)'), e(f.row === null ? '' : f.row), `<span class="mono">${e(f.record)}</span>`,
        e(f.field), ...(traced ? [e(origins.has(f) ? origins.get(f).map(originText).join('; ') : null)] : []), e(f.message)]);
      parts.push(table(['Table', 'Row in file', 'Record id', 'Column', ...(traced ? ['In the source file'] : []), 'Problem'], rows, new Set([1])));
    }
    if (n > listed.length) {
      parts.push(`<p class="muted">${plural(n - listed.length, 'more finding', facts)} not listed (all are counted; `
        + 'raise --max-findings to list them).</p>');
    }
    parts.push('</section>');
  }
  const skipped = report.skipped();
  parts.push('<h2>Checks that could not run</h2>');
  if (skipped.length) {
    parts.push(table(['Check', 'Table', 'Column', 'Why it could not run'],
      skipped.map((r) => [`<code>${e(r.code)}</code>`, e(r.resource), e(r.field), e(r.reason)])));
  } else parts.push('<p>Every check that applies to this package ran.</p>');
  if (report.inputs.length) {
    parts.push('<h2>Files read</h2>');
    parts.push(table(['File', 'Bytes', 'SHA-256'], report.inputs.map((i) => [`<code>${e(i.path)}</code>`, e(i.bytes),
      `<span class="mono">${e(i.sha256)}</span>`]), new Set([1])));
  }
  const masked = report.reveal ? '' : (' Values that may identify a person are masked; '
    + 'validate with --show-values to see them (do not forward that report).');
  parts.push('<footer>Row numbers count the header as row 1, as a spreadsheet does. Record ids are the table\'s '
    + `key (e.g. the REDCap record).${masked} Written by pedcomm ${e(meta.version)}.</footer>`);
  return parts.join('\n');
}

/** html.page: the whole self-contained report file. */
export function toHtml(report, origins, env = {}) {
  const title = `pedcomm validation report: ${report.status}`;
  return '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
    + '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
    + '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; style-src \'unsafe-inline\'; img-src data:">\n'
    + `<title>${e(title)}</title>\n<style>${report.facts.report.css}</style>\n</head>\n<body>\n${htmlBody(report, origins, env)}\n</body>\n</html>\n`;
}

export { key };
