// The check engine's host side (pedcomm.validation.engine.runner): one DuckDB session per validation,
// the package's tables loaded by the load contract, the plan's steps run in order with their guards,
// and one render query whose rows become the report's checks, findings, hints and tables.
import * as load from './load.mjs';
import { format, key, param, quote } from './report.mjs';
import { neutralise } from './text.mjs';
import { encodingProblem } from './files.mjs';

export class Engine {
  constructor(session, doc, report) {
    this.db = session; // {query(sql) -> rows as arrays, show(texts, flags) -> texts}
    this.plan = doc.plan;
    this.guardsSql = doc.guards;
    this.consts = doc.load;
    this.facts = doc.host;
    this.report = report;
    this.loaded = new Map(); // resource -> {header, rows, state}
    this.listed = new Map();
    this.skips = [];
    this.failed = new Set();
    this.guards = new Map();
    this.withRejects = new Map();
    this.shownType = this.facts.results.shown;
    // the tables' states and empty views, in one call (statements of the load contract, in its order)
    this.db.query(Object.entries(this.plan.resources)
      .flatMap(([name, entry]) => [...load.setState(name, 'absent'), ...load.emptyViews(name, entry, this.shownType)]).join(';\n'));
  }

  unread(name, why) {
    this.db.query(load.setState(name, 'unread', why).join(';\n'));
  }

  /** Read one CSV into DuckDB; report what the reader rejected and the ragged rows. False when the table
   * cannot be used (FILE_ENCODING, FILE_FORMAT). ``file``: {path (as registered), bytes() for the
   * encoding message}. */
  async load(name, file, header, size, maxLineSize = null) {
    const entry = this.plan.resources[name];
    const report = this.report;
    let strict = true;
    maxLineSize = maxLineSize || load.maxLine(size, this.consts);
    for (;;) {
      try {
        this.db.query(load.fileTable(name, file.path, header, entry, this.consts, strict, maxLineSize));
        break;
      } catch (e) {
        const text = String(e.message ?? e);
        if (text.includes('Maximum line size') && maxLineSize < size + 1) {
          maxLineSize = size + 1;
          continue;
        }
        if (strict) {
          strict = false;
          continue;
        }
        const problem = await encodingOf(file);
        if (problem) {
          report.ran('FILE_ENCODING', name, null, 0);
          report.add('FILE_ENCODING', { resource: name, detail: problem });
        } else report.add('FILE_FORMAT', { resource: name, detail: readerMessage(text, this.facts) });
        return false;
      }
    }
    const rejects = strict ? this.db.query(load.rejected(name)) : [];
    const encodingErrors = this.facts.read.encoding_errors;
    const badText = rejects.filter((r) => encodingErrors.includes(r[1]));
    if (badText.length) {
      report.ran('FILE_ENCODING', name, null, 0);
      const problem = (await encodingOf(file)) || `line ${badText[0][0]} is not UTF-8 text`;
      report.add('FILE_ENCODING', { resource: name, detail: problem });
      return false;
    }
    const other = rejects.filter((r) => r[1] !== 'TOO MANY COLUMNS');
    if (other.length) {
      const [line, what] = other[0];
      if (what === 'LINE SIZE OVER MAXIMUM' && maxLineSize < size + 1) return this.load(name, file, header, size, size + 1);
      const words = this.facts.read.format_errors[what] ?? what.toLowerCase();
      report.add('FILE_FORMAT', { resource: name, detail: `${words} on line ${line}` });
      return false;
    }
    const n = header.length;
    const rows = this.db.query(load.raggedRows(name, n, rejects.length > 0));
    const total = Number(this.db.query(`SELECT count(*) FROM ${load.fileName(name)}`)[0][0])
      + rejects.filter((r) => r[1] === 'TOO MANY COLUMNS').length;
    report.ran('ROW_RAGGED', name, null, total);
    if (rows.length) {
      report.addMany('ROW_RAGGED', { resource: name, field: null, rows: rows.map((r) => Number(r[0])),
        params: { detail: rows.map((r) => String(r[1])), expected: String(n) } });
    }
    this.loaded.set(name, { header, rows: total - rows.length, state: 'complete' });
    this.withRejects.set(name, rejects.length > 0);
    return true;
  }

  columns(name, present, why) {
    const entry = this.plan.resources[name];
    const got = this.loaded.get(name);
    const fields = entry.fields.map((f) => f.name);
    const rows = load.columnRows(name, got.header, fields);
    got.state = present.length === fields.length ? 'complete' : 'partial';
    const pk = entry.primaryKey;
    const ids = pk.length > 0 && pk.every((k) => present.includes(k)) && new Set(got.header).size === got.header.length;
    this.db.query([...(rows ? [rows] : []), ...load.setState(name, got.state, why),
      ...load.views(name, got.header, entry, this.withRejects.get(name) || false, ids, this.shownType)].join(';\n'));
  }

  /** Every step of the plan (the column steps first), then the results into the report. */
  run(progress = () => {}) {
    const steps = this.plan.steps;
    const columnSteps = this.plan.column_steps;
    let seq = -columnSteps.length * [...this.loaded.values()].reduce((a, g) => a + g.header.length, 0) - 1;
    for (const [name, got] of this.loaded) {
      const fields = new Set(this.plan.resources[name].fields.map((f) => f.name));
      const seen = new Set();
      got.header.forEach((col, i) => {
        if (seen.has(col)) return;
        seen.add(col);
        if (fields.has(col)) return;
        for (const step of columnSteps) {
          seq += 1;
          this.step(instantiate(step, name, `#${i}`, col, seq), seq);
        }
      });
    }
    steps.forEach((step, i) => {
      if (step.id.endsWith('.counts')) progress({ phase: 'checks', step: i, steps: steps.length, resource: step.resource });
      this.step(step, i);
    });
    progress({ phase: 'checks', step: steps.length, steps: steps.length });
    this.collect();
  }

  guard(step, seq) {
    if (step.guard.kind === 'sql') {
      const [go, reason] = this.db.query(step.guard.sql)[0];
      return [Boolean(go), reason];
    }
    if (!this.guards.has(seq)) {
      for (const [j, go, reason] of this.db.query(this.guardsSql.replaceAll('{batch}', String(step.batch ?? 0)))) {
        this.guards.set(Number(j), [Boolean(go), reason]);
      }
    }
    return this.guards.get(seq);
  }

  step(step, seq) {
    if (step.after && !this.failed.has(JSON.stringify(step.after))) return;
    if (step.guard) {
      const [go, reason] = this.guard(step, seq);
      if (!go) {
        if (reason) for (const code of step.codes) this.skips.push([seq, code, step.resource ?? null, step.field ?? null, reason]);
        return;
      }
    }
    for (const s of step.sql) {
      for (const r of this.db.query(s)) this.failed.add(JSON.stringify(r.map((x) => (typeof x === 'bigint' ? Number(x) : x))));
    }
  }

  collect() {
    const { columns, shown_columns: shownColumns } = this.facts.results;
    const cols = columns.map((c) => (shownColumns.includes(c) ? `pc_render(${c})` : c)).join(', ');
    const rows = this.db.query(`SELECT seq, ${cols} FROM pc.results ORDER BY seq, CASE kind WHEN 'ran' THEN 0 `
      + "WHEN 'table' THEN 1 WHEN 'finding' THEN 2 ELSE 3 END, code, resource NULLS FIRST, "
      + 'field NULLS FIRST, row NULLS FIRST, value.v NULLS FIRST, detail.v NULLS FIRST');
    const merged = [...rows.map((r) => [Number(r[0]), 0, r]), ...this.skips.map((s) => [s[0], 1, s])];
    merged.sort((a, b) => a[0] - b[0] || a[1] - b[1]); // stable: rows in query order, skips in step order
    for (const [, isSkip, r] of merged) {
      if (isSkip) this.skip(r[1], r[2], r[3], r[4]);
      else this.record(Object.fromEntries(columns.map((c, i) => [c, r[i + 1]])));
    }
  }

  runOf(code, resource, field) {
    const k = key(code, resource, field);
    let run = this.report.runs.get(k);
    if (!run) {
      this.report.spec(code);
      run = { code, resource, field, checked: 0, failed: 0, status: 'passed', reason: null };
      this.report.runs.set(k, run);
    }
    return run;
  }

  skip(code, resource, field, reason) {
    const run = this.runOf(code, resource, field);
    if (run.status === 'passed' && run.checked === 0) {
      run.status = 'not_applicable';
      run.reason = param(reason, this.facts.report.max_param);
    }
  }

  record(r) {
    const report = this.report;
    const { kind, code, resource, field } = r;
    const num = (v) => (v === null || v === undefined ? 0 : Number(v));
    if (kind === 'ran') {
      const run = this.runOf(code, resource, field);
      run.checked += num(r.checked);
      if (num(r.failed)) {
        run.failed += num(r.failed);
        run.status = 'failed';
        report.count(code, resource, field, num(r.failed));
      }
    } else if (kind === 'skip') this.skip(code, resource, field, r.reason);
    else if (kind === 'clue') {
      report.clues.push({ kind: r.detail, code, resource, field, count: num(r.failed), ...(r.expected ? { target: r.expected } : {}) });
    } else if (kind === 'table') {
      const nFields = this.plan.resources[resource].fields.length;
      report.tables[resource] = { rows: num(r.checked), columns: nFields, cells: num(r.checked) * nFields, filled: num(r.failed) };
    } else if (kind === 'finding') {
      const k = key(code, resource, field);
      if ((this.listed.get(k) || 0) >= report.maxListed) return;
      this.listed.set(k, (this.listed.get(k) || 0) + 1);
      report.findings.push(finding(r, report));
    }
  }
}

/** A finding row as the report shows it: the registry's message filled with the row's parameters. */
export function finding(r, report) {
  const s = report.spec(r.code);
  const row = r.row === null || r.row === undefined ? null : Number(r.row);
  const value = r.value;
  const p = { resource: r.resource, field: r.field, row, value: value !== null && value !== undefined ? quote(value) : '(blank)' };
  for (const k of ['detail', 'expected', 'hint', 'who', 'n']) {
    if (r[k] !== null && r[k] !== undefined) p[k] = param(r[k], report.maxParam);
  }
  if (!('hint' in p)) p.hint = '';
  return { code: r.code, severity: s.severity, category: s.category, resource: r.resource, field: r.field, row,
    value: value ?? null, message: neutralise(format(s.message, p)), action: s.action, record: r.record ?? null };
}

export function instantiate(step, resource, column, name, seq) {
  const fill = (text) => text.replaceAll('{resource_literal}', load.lit(resource)).replaceAll('{resource}', load.ident(resource))
    .replaceAll('{column}', load.ident(column)).replaceAll('{name}', load.lit(name)).replaceAll('{seq}', String(seq));
  const guard = step.guard ? { ...step.guard, sql: fill(step.guard.sql) } : null;
  return { id: step.id, codes: step.codes, resource, field: name, sql: step.sql.map(fill), guard, after: step.after ?? null };
}

async function encodingOf(file) {
  try {
    return encodingProblem(await file.bytes());
  } catch {
    return null;
  }
}

/** The CSV reader's error in words, without the row text it may quote. */
export function readerMessage(text) {
  let first = text.split('\n')[0];
  if (first.startsWith('Invalid Input Error') || first.startsWith('Conversion Error')) {
    const i = first.indexOf(': ');
    if (i >= 0) first = first.slice(i + 2);
  }
  return neutralise(Array.from(first).slice(0, 200).join(''));
}
