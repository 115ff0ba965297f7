// The load contract (pedcomm.validation.engine.load): the statements that put one CSV file into the
// engine before the plan's steps run. The same statements, built from the plan's resource entries and
// the export's load constants; tests/test_web_host.py compares them with the Python builders' text.

export function lit(v) {
  if (v === null || v === undefined) return 'NULL';
  if (v === true) return 'true';
  if (v === false) return 'false';
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  return `'${String(v).replaceAll("'", "''")}'`;
}

export const ident = (name) => `"${String(name).replaceAll('"', '""')}"`;

export function maxLine(size, consts) {
  return size <= consts.whole_line ? size + 1 : consts.max_line;
}

export function setState(resource, state, why = null) {
  return [`DELETE FROM pc.tables WHERE resource = ${lit(resource)}`,
    `INSERT INTO pc.tables (resource, state, why) VALUES (${lit(resource)}, ${lit(state)}, ${lit(why)})`];
}

export function columnRows(resource, header, fields) {
  if (!header.length) return null;
  const seen = new Set();
  const values = header.map((name, i) => {
    const first = !seen.has(name);
    seen.add(name);
    return `(${lit(resource)}, ${i}, ${lit(name)}, ${lit(fields.includes(name) ? name : null)}, ${lit(first)})`;
  });
  return `INSERT INTO pc.columns VALUES ${values.join(', ')}`;
}

export const fileName = (resource) => `pc.${ident(`${resource}:file`)}`;
export const rejectsName = (resource) => `rejects_${resource.replace(/[^A-Za-z0-9_]/g, '_')}`;

export function positions(header, fields) {
  const out = new Map();
  header.forEach((name, i) => {
    if (fields.includes(name) && !out.has(name)) out.set(name, i);
  });
  return out;
}

export function fileTable(resource, path, header, entry, consts, strict = true, maxLineSize = consts.max_line) {
  const n = header.length;
  const columns = Array.from({ length: n + 1 }, (_, i) => `'c${i}': 'VARCHAR'`).join(', ');
  const where = positions(header, entry.fields.map((f) => f.name));
  const typedCols = entry.fields.filter((f) => f.type !== 'string' && where.has(f.name))
    .map((f) => `, ${f.typed.replaceAll('{col}', `c${where.get(f.name)}`)} AS ${ident(`t:${f.name}`)}`).join('');
  let options = `header = false, skip = 1, all_varchar = true, columns = {${columns}}, null_padding = true, `
    + `nullstr = ${lit(consts.null_sentinel)}, delim = ',', quote = '"', escape = '"', auto_detect = false, `
    + `max_line_size = ${maxLineSize}, buffer_size = ${Math.max(maxLineSize, 1 << 25)}, `;
  options += strict
    ? `strict_mode = true, ignore_errors = true, store_rejects = true, rejects_table = ${lit(rejectsName(resource))}, `
      + `rejects_scan = ${lit(`reject_scans_${rejectsName(resource)}`)}`
    : 'strict_mode = false';
  return `CREATE OR REPLACE TABLE ${fileName(resource)} AS SELECT *${typedCols} FROM read_csv(${lit(path)}, ${options})`;
}

export function rejected(resource) {
  return `SELECT line, min(error_type) AS what, max(column_idx) AS cells FROM ${rejectsName(resource)} `
    + 'GROUP BY line ORDER BY line';
}

const ragged = (n) => `(c${n - 1} IS NULL OR c${n} IS NOT NULL)`;

export function rowNumber(resource, withRejects) {
  if (!withRejects) return '(rowid + 2)';
  return '(rowid + 2 + (SELECT count(*) FROM (SELECT line - 2 - (row_number() OVER (ORDER BY line) - 1) AS kept '
    + `FROM (SELECT DISTINCT line FROM ${rejectsName(resource)})) WHERE kept <= rowid))`;
}

export function raggedRows(resource, n, withRejects) {
  const cells = Array.from({ length: n + 1 }, (_, i) => `CAST(c${i} IS NOT NULL AS INTEGER)`).join(' + ');
  let kept = `SELECT ${rowNumber(resource, withRejects)} AS row, ${cells} AS cells FROM ${fileName(resource)} `
    + `WHERE ${ragged(n)}`;
  if (withRejects) {
    kept += ` UNION ALL SELECT line AS row, max(column_idx) AS cells FROM ${rejectsName(resource)} `
      + "WHERE error_type = 'TOO MANY COLUMNS' GROUP BY line";
  }
  const total = `(SELECT count(*) FROM ${fileName(resource)})` + (withRejects
    ? ` + (SELECT count(DISTINCT line) FROM ${rejectsName(resource)} WHERE error_type = 'TOO MANY COLUMNS')` : '');
  return `SELECT row, cells, ${total} AS total FROM (${kept}) ORDER BY row`;
}

export function views(resource, header, entry, withRejects, ids, shown) {
  const n = header.length;
  const where = positions(header, entry.fields.map((f) => f.name));
  const cols = [`${rowNumber(resource, withRejects)} AS __row`];
  for (const f of entry.fields) {
    cols.push(where.has(f.name) ? `c${where.get(f.name)} AS ${ident(f.name)}` : `CAST(NULL AS VARCHAR) AS ${ident(f.name)}`);
    if (f.type !== 'string') {
      const t = ident(`t:${f.name}`);
      cols.push(where.has(f.name) ? t : `CAST(NULL AS ${f.sql_type}) AS ${t}`);
    }
  }
  header.forEach((name, i) => {
    if (where.get(name) !== i) cols.push(`c${i} AS ${ident(`#${i}`)}`);
  });
  let record = entry.record;
  if (record && ids) {
    for (const k of entry.primaryKey) record = record.replaceAll(`{${k}}`, `c${where.get(k)}`);
    cols.push(`${record} AS __record`);
  } else cols.push(`CAST(NULL AS ${shown}) AS __record`);
  const raw = `CREATE OR REPLACE VIEW raw.${ident(resource)} AS SELECT ${cols.join(', ')} FROM ${fileName(resource)} `
    + `WHERE NOT ${ragged(n)}`;
  return [raw, typedView(resource, entry)];
}

export function typedView(resource, entry) {
  const out = ['__row', '__record'];
  for (const f of entry.fields) {
    if (f.type === 'string') out.push(`${f.typed.replaceAll('{col}', ident(f.name))} AS ${ident(f.name)}`);
    else out.push(`${ident(`t:${f.name}`)} AS ${ident(f.name)}`);
  }
  return `CREATE OR REPLACE VIEW typed.${ident(resource)} AS SELECT ${out.join(', ')} FROM raw.${ident(resource)}`;
}

export function emptyViews(resource, entry, shown) {
  const cols = ['CAST(NULL AS BIGINT) AS __row'];
  for (const f of entry.fields) {
    cols.push(`CAST(NULL AS VARCHAR) AS ${ident(f.name)}`);
    if (f.type !== 'string') cols.push(`CAST(NULL AS ${f.sql_type}) AS ${ident(`t:${f.name}`)}`);
  }
  cols.push(`CAST(NULL AS ${shown}) AS __record`);
  return [`CREATE OR REPLACE VIEW raw.${ident(resource)} AS SELECT ${cols.join(', ')} WHERE false`, typedView(resource, entry)];
}
