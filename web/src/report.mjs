// The validation report, as pedcomm.validation.report builds it: checks run, findings (the registry's
// message with the finding's parameters), counts, skipped checks, inputs, tables, clues for the hints.
// Every value shown goes through the one masking path, the engine's SQL (pc_show), never a copy of it.
import { len, neutralise, bounded } from './text.mjs';
import { str, sorted } from './py.mjs';

export function quote(value) {
  if (value === null || value === undefined) return '(blank)';
  let s = str(value);
  if (len(s) > 60) s = Array.from(s).slice(0, 57).join('') + '...';
  return `'${s}'`;
}

/** A message parameter: numbers as they are, text bounded and neutralised. */
export function param(v, maxParam) {
  if (v === null || v === undefined || typeof v === 'number' || typeof v === 'bigint') return v;
  return bounded(neutralise(str(v)), maxParam);
}

/** str.format_map with pedcomm's _Safe mapping: a missing key is '?'. */
export function format(template, params) {
  return template.replace(/\{([^{}]*)\}/g, (_, key) => (Object.prototype.hasOwnProperty.call(params, key) ? str(params[key]) : '?'));
}

export const key = (code, resource, field) => JSON.stringify([code, resource ?? null, field ?? null]);

export class Report {
  constructor({ registry, facts, show, maxListed, reveal }) {
    this.registry = registry;
    this.facts = facts;
    this.showSql = show; // (texts, sensitive flags) -> shown texts: the engine's pc_show
    this.maxListed = maxListed;
    this.reveal = reveal;
    this.maxParam = facts.report.max_param;
    this.findings = [];
    this.counts = new Map(); // key -> {code, resource, field, n}
    this.runs = new Map(); // key -> CheckRun
    this.inputs = [];
    this.meta = {};
    this.clues = [];
    this.tables = {};
    this.labels = new Map();
  }

  spec(code) {
    const s = this.registry[code];
    if (!s) throw new Error(`unregistered check code '${code}'`);
    return s;
  }

  /** A resource, field or column name as shown (read from a file, it may be a data value). */
  label(name) {
    if (name === null || name === undefined) return null;
    const text = str(name);
    if (!this.labels.has(text)) this.labels.set(text, this.showSql([text], [false])[0]);
    return this.labels.get(text);
  }

  shown(values, sensitive) {
    const texts = values.map((v) => (v === null || v === undefined ? null : str(v)));
    const flags = texts.map((_, i) => (Array.isArray(sensitive) ? Boolean(sensitive[i]) : Boolean(sensitive)));
    const present = texts.map((t, i) => [t, i]).filter(([t]) => t !== null);
    const out = texts.map(() => null);
    if (present.length) {
      const got = this.showSql(present.map(([t]) => t), present.map(([, i]) => flags[i]));
      present.forEach(([, i], k) => { out[i] = got[k]; });
    }
    return out;
  }

  addInput(path, size, sha256) {
    this.inputs.push({ path: this.label(path), bytes: size, sha256 });
  }

  ran(code, resource = null, field = null, checked = 0) {
    this.spec(code);
    const k = key(code, this.label(resource), this.label(field));
    let run = this.runs.get(k);
    if (!run) {
      run = { code, resource: this.label(resource), field: this.label(field), checked: 0, failed: 0, status: 'passed', reason: null };
      this.runs.set(k, run);
    }
    run.checked += checked;
    return run;
  }

  notApplicable(code, resource, reason, field = null) {
    const run = this.ran(code, resource, field);
    if (run.status === 'passed' && run.checked === 0) {
      run.status = 'not_applicable';
      run.reason = param(reason, this.maxParam);
    }
  }

  count(code, resource, field, n) {
    const k = key(code, resource, field);
    const c = this.counts.get(k) || { code, resource, field, n: 0 };
    const before = c.n;
    c.n += n;
    this.counts.set(k, c);
    return before;
  }

  add(code, { resource = null, field = null, row = null, value = null, sensitive = false, ...params } = {}) {
    const listed = Object.fromEntries(Object.entries(params).map(([k, v]) => [k, [v]]));
    this.addMany(code, { resource, field, rows: [row], values: [value], sensitive, params: listed });
  }

  /** Failures of one check: all counted, the first maxListed listed (report.Report.add_many). */
  addMany(code, { resource = null, field = null, rows, values = null, sensitive = false, checked = null, params = {} }) {
    const s = this.spec(code);
    const n = rows.length;
    resource = this.label(resource);
    field = this.label(field);
    const run = this.ran(code, resource, field, checked || 0); // labelled again, as Python's add_many does
    if (n === 0) return;
    run.failed += n;
    run.status = 'failed';
    const already = this.count(code, resource, field, n);
    const room = Math.max(0, this.maxListed - already);
    if (room === 0) return;
    const listed = Math.min(n, room);
    const vals = (values || []).slice(0, room);
    while (vals.length < listed) vals.push(null);
    const flags = Array.isArray(sensitive) ? sensitive.slice(0, room) : sensitive;
    const texts = this.shown(vals, flags);
    for (let i = 0; i < listed; i++) {
      const text = texts[i];
      const p = { resource, field, row: rows[i], value: text !== null ? quote(text) : '(blank)' };
      for (const [k, v] of Object.entries(params)) p[k] = param(Array.isArray(v) ? v[i] : v, this.maxParam);
      if (!('hint' in p)) p.hint = '';
      this.findings.push({
        code, severity: s.severity, category: s.category, resource, field, row: rows[i] === null ? null : Number(rows[i]),
        value: text, message: neutralise(format(s.message, p)), action: s.action, record: null,
      });
    }
  }

  totals() {
    const t = { error: 0, warning: 0, info: 0 };
    for (const c of this.counts.values()) t[this.spec(c.code).severity] += c.n;
    return t;
  }

  get fatal() {
    return [...this.counts.values()].some((c) => this.spec(c.code).fatal);
  }

  get status() {
    if (this.fatal) return 'unreadable';
    return this.totals().error ? 'invalid' : 'valid';
  }

  get exitCode() {
    return { valid: 0, invalid: 1, unreadable: 2 }[this.status];
  }

  codes() {
    return new Set([...this.counts.values()].filter((c) => c.n).map((c) => c.code));
  }

  unlisted() {
    return [...this.counts.values()].reduce((a, c) => a + c.n, 0) - this.findings.length;
  }

  sortedFindings() {
    return sorted(this.findings, (f) => [f.resource !== null, f.resource ?? '', f.row ?? -1, f.code, f.field ?? '']);
  }

  skipped() {
    return sorted([...this.runs.values()].filter((r) => r.status === 'not_applicable'), (r) => [r.resource ?? '', r.code, r.field ?? '']);
  }
}
