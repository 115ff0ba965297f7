// Python's string and number semantics, where the report depends on them: lengths and slices in code
// points (not UTF-16 units), sorting in code-point order, str.strip()'s whitespace, str() and repr() of
// floats, and json.dumps's two spellings (the report's, ensure_ascii=False with indent 2; and the
// compact ensure_ascii=True one the descriptor checks compare). Nothing here knows pedcomm.

/** A JSON number written with a fraction or an exponent (Python reads it as a float: 10.0 is not 10). */
export class PyFloat {
  constructor(value) { this.value = value; }
}

/** A JSON object as Python's json reads it: keys in the order written, the last value of a repeated key. */
export class PyDict extends Map {}

export const isDict = (v) => v instanceof PyDict;
export const isList = Array.isArray;
export const isStr = (v) => typeof v === 'string';
/** Python's isinstance(v, int) (a bool is an int in Python). */
export const isInt = (v) => typeof v === 'boolean' || typeof v === 'bigint' || (typeof v === 'number' && Number.isInteger(v));
export const isNumber = (v) => isInt(v) || v instanceof PyFloat || typeof v === 'number';

export function get(obj, key) {
  return isDict(obj) ? (obj.has(key) ? obj.get(key) : null) : null;
}

export function len(s) {
  let n = 0;
  for (const _ of s) n++; // eslint-disable-line no-unused-vars
  return n;
}

export function slice(s, a, b) {
  return Array.from(s).slice(a, b).join('');
}

/** Python's order of two strings (code points). */
export function cmpStr(a, b) {
  if (a === b) return 0;
  const ia = a[Symbol.iterator]();
  const ib = b[Symbol.iterator]();
  for (;;) {
    const x = ia.next();
    const y = ib.next();
    if (x.done) return y.done ? 0 : -1;
    if (y.done) return 1;
    const cx = x.value.codePointAt(0);
    const cy = y.value.codePointAt(0);
    if (cx !== cy) return cx < cy ? -1 : 1;
  }
}

/** Python's order of two values of a sort key (tuples as arrays; None sorts nowhere, so callers avoid it). */
export function cmp(a, b) {
  if (Array.isArray(a)) {
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      const c = cmp(a[i], b[i]);
      if (c) return c;
    }
    return a.length - b.length;
  }
  if (typeof a === 'string') return cmpStr(a, b);
  const x = typeof a === 'boolean' ? Number(a) : a;
  const y = typeof b === 'boolean' ? Number(b) : b;
  return x < y ? -1 : x > y ? 1 : 0;
}

/** sorted(items, key=key): stable, Python's order. */
export function sorted(items, key = (x) => x) {
  return items.map((x, i) => [key(x), i, x]).sort((p, q) => cmp(p[0], q[0]) || p[1] - q[1]).map((p) => p[2]);
}

const SPACE = '[\\t-\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]';
const STRIP = new RegExp(`^${SPACE}+|${SPACE}+$`, 'g');
/** str.strip(): Python's Unicode whitespace at both ends (not JavaScript's trim, which also strips U+FEFF). */
export const strip = (s) => s.replace(STRIP, '');

/** repr() of a float. */
export function floatRepr(x) {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const [mant, e] = x.toExponential().split('e');
  const exp = Number(e);
  const neg = mant.startsWith('-');
  const digits = mant.replace('-', '').replace('.', '');
  let out;
  if (exp >= -5 + 1 && exp < 16) { // fixed notation: -4 <= exp < 16
    if (exp < 0) out = `0.${'0'.repeat(-exp - 1)}${digits}`;
    else if (digits.length > exp + 1) out = `${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
    else out = `${digits}${'0'.repeat(exp + 1 - digits.length)}.0`;
  } else {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    out = `${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  return (neg ? '-' : '') + out;
}

/** repr() of a str (as in a list's str()). */
export function strRepr(s) {
  const q = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = '';
  for (const ch of s) {
    const c = ch.codePointAt(0);
    if (ch === '\\' || ch === q) out += '\\' + ch;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (c < 0x20 || (c >= 0x7f && c <= 0xa0)) out += '\\x' + c.toString(16).padStart(2, '0');
    else out += ch;
  }
  return q + out + q;
}

/** str() of a value. */
export function str(v) {
  if (v === null || v === undefined) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'string') return v;
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : floatRepr(v);
  if (v instanceof PyFloat) return floatRepr(v.value);
  if (Array.isArray(v)) return `[${v.map(repr).join(', ')}]`;
  if (isDict(v)) return `{${[...v].map(([k, x]) => `${repr(k)}: ${repr(x)}`).join(', ')}}`;
  return String(v);
}

export function repr(v) {
  return typeof v === 'string' ? strRepr(v) : str(v);
}

function escapeJson(s, ascii) {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0);
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\b') out += '\\b';
    else if (ch === '\f') out += '\\f';
    else if (c < 0x20 || (ascii && c > 0x7e)) {
      if (c > 0xffff) {
        const v = c - 0x10000;
        out += '\\u' + (0xd800 + (v >> 10)).toString(16) + '\\u' + (0xdc00 + (v & 0x3ff)).toString(16);
      } else out += '\\u' + c.toString(16).padStart(4, '0');
    } else out += ch;
  }
  return out + '"';
}

function scalar(v, ascii) {
  if (v === null || v === undefined) return 'null';
  if (v === true) return 'true';
  if (v === false) return 'false';
  if (typeof v === 'string') return escapeJson(v, ascii);
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return 'null'; // jsonsafe.dumps: never NaN or Infinity
    return Number.isInteger(v) ? String(v) : floatRepr(v);
  }
  if (v instanceof PyFloat) return Number.isFinite(v.value) ? floatRepr(v.value) : 'null';
  return undefined;
}

function entries(v, sortKeys) {
  const items = isDict(v) ? [...v] : Object.entries(v);
  return sortKeys ? sorted(items, (kv) => kv[0]) : items;
}

/** json.dumps(v, indent=2, ensure_ascii=False): the report's JSON. */
export function dumpsReport(v, level = 0) {
  const s = scalar(v, false);
  if (s !== undefined) return s;
  const pad = '  '.repeat(level + 1);
  const end = '  '.repeat(level);
  if (Array.isArray(v)) {
    if (!v.length) return '[]';
    return `[\n${v.map((x) => pad + dumpsReport(x, level + 1)).join(',\n')}\n${end}]`;
  }
  const items = entries(v, false);
  if (!items.length) return '{}';
  return `{\n${items.map(([k, x]) => `${pad}${escapeJson(k, false)}: ${dumpsReport(x, level + 1)}`).join(',\n')}\n${end}}`;
}

/** json.dumps(v, sort_keys=sortKeys): compact, ASCII only. */
export function dumps(v, sortKeys = false) {
  const s = scalar(v, true);
  if (s !== undefined) return s;
  if (Array.isArray(v)) return `[${v.map((x) => dumps(x, sortKeys)).join(', ')}]`;
  return `{${entries(v, sortKeys).map(([k, x]) => `${escapeJson(k, true)}: ${dumps(x, sortKeys)}`).join(', ')}}`;
}

/** Python's equality of two JSON values as read (1 == 1.0; dicts by content). */
export function equal(a, b) {
  const num = (x) => (x instanceof PyFloat ? x.value : typeof x === 'bigint' ? Number(x) : typeof x === 'boolean' ? Number(x) : x);
  if (isNumber(a) && isNumber(b)) return num(a) === num(b);
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => equal(x, b[i]));
  if (isDict(a) && isDict(b)) return a.size === b.size && [...a].every(([k, x]) => b.has(k) && equal(x, b.get(k)));
  return a === b;
}

/** A path as Python's str(Path(text)) writes it: no empty or '.' parts, no trailing slash. */
export function pathStr(text) {
  if (text === '') return '.';
  const abs = text.startsWith('/');
  const lead = abs && text.startsWith('//') && !text.startsWith('///') ? '//' : abs ? '/' : '';
  const parts = text.split('/').filter((p) => p !== '' && p !== '.');
  const out = lead + parts.join('/');
  return out === '' ? '.' : out;
}

export function pathJoin(a, b) {
  return b.startsWith('/') ? pathStr(b) : pathStr(`${a}/${b}`);
}

/** Path(text).name and Path(text).suffix. */
export function pathName(text) {
  const parts = pathStr(text).split('/');
  const name = parts[parts.length - 1];
  return name === '.' ? '' : name;
}

export function suffix(text) {
  const name = pathName(text);
  const i = name.lastIndexOf('.');
  return i > 0 && i < name.length - 1 ? name.slice(i) : '';
}

/** Where bytes stop being UTF-8 as Python's strict decoder says it: the index of the first byte of the
 * first invalid or truncated sequence, or -1. */
export function utf8Error(b, start = 0, end = b.length) {
  let i = start;
  while (i < end) {
    const c = b[i];
    if (c < 0x80) { i++; continue; }
    let n;
    let lo = 0x80;
    let hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) n = 1;
    else if (c >= 0xe0 && c <= 0xef) { n = 2; if (c === 0xe0) lo = 0xa0; if (c === 0xed) hi = 0x9f; }
    else if (c >= 0xf0 && c <= 0xf4) { n = 3; if (c === 0xf0) lo = 0x90; if (c === 0xf4) hi = 0x8f; }
    else return i;
    if (i + 1 >= end || b[i + 1] < lo || b[i + 1] > hi) return i;
    for (let k = 2; k <= n; k++) {
      if (i + k >= end || b[i + k] < 0x80 || b[i + k] > 0xbf) return i;
    }
    i += n + 1;
  }
  return -1;
}
