// The file-level checks of one data file and its header line (pedcomm.validation.read, .structure, and
// the refusals of pedcomm.files.inputs): the file itself (missing, refused, UTF-16, a byte-order mark,
// binary, empty), its header line (blank, too long, too many columns, another delimiter, no header),
// and the header's columns (COLUMN_MISSING, COLUMN_UNKNOWN, COLUMN_DUPLICATE with the renamed-column guess).
import { CsvError, NoRecord, closeMatch, firstRecord } from './pytext.mjs';
import { sorted, strip, utf8Error } from './py.mjs';

// -- what the file layer refuses (pedcomm.files.inputs) -------------------------------------------

export class InputRefused extends Error {
  constructor(code, role, detail) { super(detail); this.code = code; this.role = role; this.detail = detail; }
}

/** An OSError: ``strerror`` as Python words it; ``missing`` for FileNotFoundError. */
export class OsError extends Error {
  constructor(strerror, missing = false) { super(strerror); this.strerror = strerror; this.missing = missing; }
}

export const STRERROR = {
  ENOENT: 'No such file or directory', EACCES: 'Permission denied', EPERM: 'Operation not permitted',
  EISDIR: 'Is a directory', ENOTDIR: 'Not a directory', ELOOP: 'Too many levels of symbolic links',
  ENAMETOOLONG: 'File name too long', EIO: 'Input/output error', EMFILE: 'Too many open files',
  ENXIO: 'No such device or address',
};

const GiB = 2 ** 30;
const MiB = 2 ** 20;
const g = (x) => String(Number(x.toPrecision(6)));
export const sizeWords = (n) => (n >= GiB ? `${g(n / GiB)} GiB` : n >= MiB ? `${g(n / MiB)} MiB` : `${n} bytes`);
export const thousands = (n) => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');

export function tooLarge(size, role, facts) {
  const r = facts.inputs[role];
  return new InputRefused('INPUT_TOO_LARGE', role, `it is ${thousands(size)} bytes, more than the ${sizeWords(r.limit)} a ${r.name} may be`);
}

export function notRegular(kind, role) {
  return new InputRefused('INPUT_NOT_REGULAR', role, `it is ${kind}, not a regular file, so it was not opened`);
}

/** refusals.input_refused: a refused input in the report (fatal). */
export function inputRefused(report, e, { resource = null, field = null, path }) {
  report.ran('INPUT_NOT_REGULAR', resource, field, 1);
  report.ran('INPUT_TOO_LARGE', resource, field, 1);
  report.add(e.code, { resource, field, role: report.facts.inputs[e.role].name, path, detail: e.detail });
}

// -- the bytes of a data file ---------------------------------------------------------------------

/** Where the bytes stop being UTF-8, in words (read.encoding_problem); null when they are UTF-8. */
export function encodingProblem(data) {
  const at = utf8Error(data);
  if (at < 0) return null;
  let line = 1;
  for (let i = 0; i < at; i++) if (data[i] === 0x0a) line++;
  const bad = data[at].toString(16).toUpperCase().padStart(2, '0');
  return `byte 0x${bad} on line ${line} is not UTF-8; the file is probably Latin-1/Windows-1252`;
}

const WHITE = new Set([0x20, 0x09, 0x0a, 0x0d, 0x0b, 0x0c]); // bytes \s

/** read.read_bytes: FILE_MISSING, the refusals, then FILE_ENCODING (UTF-16, NUL), FILE_BOM, FILE_EMPTY;
 * the file is read once, in chunks (hashed as it goes). Returns {head, size} (the first bytes after a
 * byte-order mark, and the size without it) or null with a finding. */
export async function readData(source, path, resource, rawPath, report, progress) {
  const facts = report.facts;
  report.ran('FILE_MISSING', resource, null, 1);
  let file;
  try {
    file = await source.open(path, 'data');
  } catch (e) {
    if (e instanceof OsError && e.missing) {
      report.add('FILE_MISSING', { resource, value: rawPath });
      return null;
    }
    if (e instanceof InputRefused) {
      inputRefused(report, e, { resource, path: report.label(rawPath) });
      return null;
    }
    if (e instanceof OsError) {
      report.ran('FILE_FORMAT', resource, null, 1);
      report.add('FILE_FORMAT', { resource, detail: `it cannot be opened (${e.strerror})` });
      return null;
    }
    throw e;
  }
  const keep = facts.read.max_header_bytes + 1 + 3;
  const head = new Uint8Array(Math.min(keep, file.size));
  let got = 0;
  let nul = -1;
  let blank = true;
  let offset = 0;
  const hash = source.hasher();
  for await (const chunk of file.chunks()) {
    hash.update(chunk);
    if (got < head.length) {
      const take = Math.min(head.length - got, chunk.length);
      head.set(chunk.subarray(0, take), got);
      got += take;
    }
    if (nul < 0) {
      const i = chunk.indexOf(0);
      if (i >= 0) nul = offset + i;
    }
    if (blank) for (const b of chunk) if (!WHITE.has(b)) { blank = false; break; }
    offset += chunk.length;
    progress?.(chunk.length);
  }
  report.addInput(rawPath, offset, hash.hex());
  for (const code of ['FILE_ENCODING', 'FILE_BOM', 'FILE_EMPTY']) report.ran(code, resource, null, 1);
  if ((head[0] === 0xff && head[1] === 0xfe) || (head[0] === 0xfe && head[1] === 0xff)) {
    report.add('FILE_ENCODING', { resource, detail: "it is UTF-16, as saved by Excel's 'Unicode text'" });
    return null;
  }
  let start = 0;
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) {
    report.add('FILE_BOM', { resource });
    start = 3;
    // the BOM's bytes are not data: a NUL or the blank test count from after it
    blank = true;
    for await (const chunk of [head.subarray(3)]) for (const b of chunk) if (!WHITE.has(b)) { blank = false; break; }
    if (blank && offset > head.length) blank = await restBlank(file, head.length);
  }
  if (nul >= 0) {
    report.add('FILE_ENCODING', { resource, detail: `it contains binary data (a NUL byte at byte ${nul - start})` });
    return null;
  }
  if (blank) {
    report.add('FILE_EMPTY', { resource });
    return null;
  }
  return { head: head.subarray(start, Math.min(head.length, start + facts.read.max_header_bytes + 1)), size: offset - start, file };
}

async function restBlank(file, from) {
  let offset = 0;
  for await (const chunk of file.chunks()) {
    for (let i = Math.max(0, from - offset); i < chunk.length; i++) if (!WHITE.has(chunk[i])) return false;
    offset += chunk.length;
  }
  return true;
}

// -- the header line --------------------------------------------------------------------------------

class HeaderTooLarge extends Error {}

function headerOf(data, maxBytes) {
  const head = data.subarray(0, maxBytes);
  if (data.length > head.length && !head.includes(0x0a)) {
    throw new HeaderTooLarge(`its first line is longer than ${maxBytes >> 20} MiB; a header line holds column names`);
  }
  const cut = data.length > head.length ? head.lastIndexOf(0x0a) : head.length;
  const text = new TextDecoder('utf-8', { ignoreBOM: true }).decode(head.subarray(0, cut > 0 ? cut : head.length));
  return firstRecord(text);
}

/** read.check_header_line: the columns of the header line, or null with a FILE_FORMAT finding. */
export function checkHeaderLine(data, resource, report, nFields, names) {
  const { max_header_bytes: maxBytes, max_columns: maxColumns } = report.facts.read;
  report.ran('FILE_FORMAT', resource, null, 1);
  let header;
  try {
    header = headerOf(data, maxBytes);
  } catch (e) {
    if (e instanceof HeaderTooLarge) {
      report.add('FILE_FORMAT', { resource, detail: e.message });
      return null;
    }
    if (e instanceof CsvError || e instanceof NoRecord) {
      report.add('FILE_FORMAT', { resource, detail: `the header line cannot be read (${e instanceof NoRecord ? '' : e.message})` });
      return null;
    }
    throw e;
  }
  if (!header.length || !header.some((h) => strip(h))) {
    report.add('FILE_FORMAT', { resource, detail: 'the first line, which must hold the column names, is blank' });
    return null;
  }
  if (header.length > maxColumns) {
    report.add('FILE_FORMAT', { resource, detail: `its first line has ${header.length} columns, more than the ${maxColumns} pedcomm reads` });
    return null;
  }
  if (names && names.length > 1 && header.length > 1 && !header.some((h) => names.includes(h))) {
    report.add('FILE_FORMAT', { resource,
      detail: 'its first line holds none of the standard\'s column names, so the header line is probably missing (the line is not shown: it may hold data)' });
    return null;
  }
  if (header.length === 1 && nFields > 1) {
    for (const [sep, name] of [[';', 'semicolons'], ['\t', 'tabs'], ['|', 'vertical bars']]) {
      if (header[0].includes(sep)) {
        report.add('FILE_FORMAT', { resource, detail: `the columns are separated by ${name}, not commas (re-save as 'CSV (comma delimited)')` });
        return null;
      }
    }
  }
  return header;
}

// -- the header's columns ---------------------------------------------------------------------------

const norm = (name) => name.toLowerCase().replace(/[^a-z0-9]/g, '');

/** hints.closest_names: file column -> the missing standard column it most likely is. */
export function closestNames(columns, wanted) {
  const left = sorted([...wanted]);
  const out = new Map();
  for (const col of sorted([...columns])) {
    if (!left.length) break;
    const byNorm = new Map(left.map((m) => [norm(m), m]));
    const close = closeMatch(norm(String(col)), [...byNorm.keys()], 0.6);
    const guess = byNorm.get(norm(String(col))) ?? (close !== null ? byNorm.get(close) : null);
    if (guess) {
      out.set(col, guess);
      left.splice(left.indexOf(guess), 1);
    }
  }
  return out;
}

/** structure.check_header: the header findings; returns the schema's fields present in the file. */
export function checkHeader(resource, schema, columns, report) {
  const names = schema.fields.map((f) => f.name);
  const seen = new Map();
  for (const c of columns) seen.set(c, (seen.get(c) || 0) + 1);
  report.ran('COLUMN_DUPLICATE', resource, null, columns.length);
  for (const [c, n] of seen) if (n > 1) report.add('COLUMN_DUPLICATE', { resource, field: c, row: 1, detail: n });
  const absent = names.filter((n) => !seen.has(n));
  const extra = [...seen.keys()].filter((c) => !names.includes(c));
  const renamed = closestNames(extra, absent);
  const was = new Map([...renamed].map(([col, std]) => [std, col]));
  report.ran('COLUMN_MISSING', resource, null, names.length);
  for (const n of absent) {
    report.add('COLUMN_MISSING', { resource, field: n, row: 1,
      hint: was.has(n) ? ` The file has a column '${report.label(was.get(n))}': is it this one, renamed?` : '' });
  }
  report.ran('COLUMN_UNKNOWN', resource, null, columns.length);
  for (const c of extra) {
    report.add('COLUMN_UNKNOWN', { resource, field: c, row: 1, hint: renamed.has(c) ? ` Did you mean '${renamed.get(c)}'?` : '' });
  }
  return names.filter((n) => seen.has(n));
}
