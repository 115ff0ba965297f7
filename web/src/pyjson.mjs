// JSON read as pedcomm.files.jsonsafe.loads reads it (Python's json module, within bounds), with the same
// refusals in the same words and at the same places: the descriptor's findings quote them. Objects are
// PyDicts (keys in the order written), numbers with a fraction or exponent PyFloats.
import { PyDict, PyFloat, utf8Error } from './py.mjs';

export const MAX_DEPTH = 64;
//: where Python's parser would stop with a RecursionError (the interpreter's limit, less its own frames)
const RECURSION = 900;
const INT_MIN = -(2n ** 63n);
const INT_MAX = 2n ** 63n - 1n;

export class JSONRefused extends Error {}

class Decode extends Error {
  constructor(msg, pos) { super(msg); this.pos = pos; }
}
class Stop extends Error {
  constructor(pos) { super('stop'); this.pos = pos; }
}
class Deep extends Error {}

const WS = new Set([0x20, 0x09, 0x0a, 0x0d]);
const NUMBER = /^(-?(?:0|[1-9][0-9]*))(\.[0-9]+)?([eE][-+]?[0-9]+)?/;
const HEX = /^[0-9a-fA-F]$/;

function parseInt64(text) {
  const digits = text.replace(/^[+-]+/, '');
  if (digits.length > 19) throw new JSONRefused(`it holds a whole number of ${digits.length} digits, beyond the 64-bit range`);
  const v = BigInt(text);
  if (v < INT_MIN || v > INT_MAX) throw new JSONRefused(`it holds the whole number ${text}, beyond the 64-bit range`);
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

function parseFloat64(text) {
  const v = Number(text);
  if (!Number.isFinite(v)) throw new JSONRefused(`it holds the number ${text.slice(0, 30)}, too large to represent`);
  return new PyFloat(v);
}

class Parser {
  constructor(text) {
    this.cp = Array.from(text, (c) => c.codePointAt(0)); // positions count code points, as Python's do
    this.n = this.cp.length;
    this.depth = 0;
  }

  ws(i) {
    while (i < this.n && WS.has(this.cp[i])) i++;
    return i;
  }

  text(a, b) {
    return String.fromCodePoint(...this.cp.slice(a, b));
  }

  startsWith(i, word) {
    for (let k = 0; k < word.length; k++) if (this.cp[i + k] !== word.charCodeAt(k)) return false;
    return true;
  }

  value(i) { // scan_once: [value, end]
    if (i >= this.n) throw new Stop(i);
    const c = this.cp[i];
    if (c === 0x22) return this.string(i + 1);
    if (c === 0x7b) return this.nested(() => this.object(i + 1));
    if (c === 0x5b) return this.nested(() => this.array(i + 1));
    if (c === 0x6e && this.startsWith(i, 'null')) return [null, i + 4];
    if (c === 0x74 && this.startsWith(i, 'true')) return [true, i + 4];
    if (c === 0x66 && this.startsWith(i, 'false')) return [false, i + 5];
    const m = NUMBER.exec(this.text(i, Math.min(this.n, i + 4096)));
    if (m && m[0].length < 4096) {
      const [all, int, frac, exp] = m;
      return [frac || exp ? parseFloat64(all) : parseInt64(int), i + all.length];
    }
    if (m) { // a number longer than the window: read it whole
      const rest = /^-?[0-9]*(\.[0-9]+)?([eE][-+]?[0-9]+)?/.exec(this.text(i, this.n))[0];
      const mm = NUMBER.exec(rest);
      return [mm[2] || mm[3] ? parseFloat64(mm[0]) : parseInt64(mm[1]), i + mm[0].length];
    }
    if (c === 0x4e && this.startsWith(i, 'NaN')) throw new JSONRefused('it holds NaN, which is not a JSON number');
    if (c === 0x49 && this.startsWith(i, 'Infinity')) throw new JSONRefused('it holds Infinity, which is not a JSON number');
    if (c === 0x2d && this.startsWith(i, '-Infinity')) throw new JSONRefused('it holds -Infinity, which is not a JSON number');
    throw new Stop(i);
  }

  nested(fn) {
    if (++this.depth > RECURSION) throw new Deep();
    try {
      return fn();
    } finally {
      this.depth--;
    }
  }

  string(end) { // scanstring, strict: after the opening quote
    const begin = end - 1;
    let out = '';
    for (;;) {
      let next = end;
      let c = -1;
      for (; next < this.n; next++) {
        c = this.cp[next];
        if (c === 0x22 || c === 0x5c) break;
        if (c <= 0x1f) throw new Decode('Invalid control character at', next);
      }
      if (next >= this.n) throw new Decode('Unterminated string starting at', begin);
      out += this.text(end, next);
      if (c === 0x22) return [out, next + 1];
      next++; // the backslash
      if (next >= this.n) throw new Decode('Unterminated string starting at', begin);
      const e = this.cp[next];
      if (e !== 0x75) {
        end = next + 1;
        const simple = { 0x22: '"', 0x5c: '\\', 0x2f: '/', 0x62: '\b', 0x66: '\f', 0x6e: '\n', 0x72: '\r', 0x74: '\t' }[e];
        if (simple === undefined) throw new Decode('Invalid \\escape', end - 2);
        out += simple;
        continue;
      }
      next++;
      end = next + 4;
      if (end >= this.n) throw new Decode('Invalid \\uXXXX escape', next - 1);
      const hex = (a) => {
        let v = 0;
        for (let k = a; k < a + 4; k++) {
          const d = String.fromCodePoint(this.cp[k]);
          if (!HEX.test(d)) return -1;
          v = v * 16 + parseInt(d, 16);
        }
        return v;
      };
      let u = hex(next);
      if (u < 0) throw new Decode('Invalid \\uXXXX escape', end - 5);
      next = end;
      if (u >= 0xd800 && u <= 0xdbff && end + 6 < this.n && this.cp[next] === 0x5c && this.cp[next + 1] === 0x75) {
        const u2 = hex(next + 2);
        if (u2 < 0) throw new Decode('Invalid \\uXXXX escape', end + 6 - 5);
        if (u2 >= 0xdc00 && u2 <= 0xdfff) {
          u = 0x10000 + ((u - 0xd800) << 10) + (u2 - 0xdc00);
          end += 6;
        }
      }
      out += String.fromCodePoint(u);
    }
  }

  object(i) {
    const obj = new PyDict();
    i = this.ws(i);
    if (i < this.n && this.cp[i] === 0x7d) return [obj, i + 1];
    let twice; // a name given twice is refused once the object is read (files/jsonsafe._object)
    for (;;) {
      if (i >= this.n || this.cp[i] !== 0x22) throw new Decode('Expecting property name enclosed in double quotes', i);
      let key;
      [key, i] = this.string(i + 1);
      i = this.ws(i);
      if (i >= this.n || this.cp[i] !== 0x3a) throw new Decode("Expecting ':' delimiter", i);
      i = this.ws(i + 1);
      let val;
      [val, i] = this.value(i);
      if (obj.has(key) && twice === undefined) twice = key;
      obj.set(key, val);
      i = this.ws(i);
      if (i < this.n && this.cp[i] === 0x7d) {
        if (twice !== undefined) {
          // only a plain lower-case name is quoted: any other might be a value worth masking
          const shown = /^[a-z_][a-z0-9_]{0,39}$/.test(twice) ? ` ('${twice}')` : '';
          throw new JSONRefused(`it gives the same name twice in one object${shown}`);
        }
        return [obj, i + 1];
      }
      if (i >= this.n || this.cp[i] !== 0x2c) throw new Decode("Expecting ',' delimiter", i);
      i = this.ws(i + 1);
    }
  }

  array(i) {
    const out = [];
    i = this.ws(i);
    if (i < this.n && this.cp[i] === 0x5d) return [out, i + 1];
    for (;;) {
      let val;
      [val, i] = this.value(i);
      out.push(val);
      i = this.ws(i);
      if (i < this.n && this.cp[i] === 0x5d) return [out, i + 1];
      if (i >= this.n || this.cp[i] !== 0x2c) throw new Decode("Expecting ',' delimiter", i);
      i = this.ws(i + 1);
    }
  }

  where(pos) {
    let line = 1;
    let last = -1;
    for (let k = 0; k < pos; k++) if (this.cp[k] === 0x0a) { line++; last = k; }
    return [line, pos - last];
  }
}

function depthOf(obj) {
  let deepest = 0;
  const stack = [[obj, 1]];
  while (stack.length) {
    const [item, level] = stack.pop();
    if (Array.isArray(item) || item instanceof PyDict) {
      deepest = Math.max(deepest, level);
      if (level > MAX_DEPTH) return level;
      for (const v of Array.isArray(item) ? item : item.values()) stack.push([v, level + 1]);
    }
  }
  return deepest;
}

/** jsonsafe.loads: the value, or a JSONRefused saying why (in Python's words). */
export function loads(data) {
  let text = data;
  if (typeof data !== 'string') {
    let b = data;
    if (b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) b = b.subarray(3);
    const bad = utf8Error(b);
    if (bad >= 0) throw new JSONRefused(`it is not UTF-8 text (byte ${bad})`);
    text = new TextDecoder('utf-8', { ignoreBOM: true }).decode(b);
  }
  const p = new Parser(text);
  const refuse = (msg, pos) => {
    const [line, col] = p.where(pos);
    return new JSONRefused(`invalid JSON at line ${line}, column ${col} (${msg})`);
  };
  let obj;
  try {
    if (p.cp[0] === 0xfeff) throw new Decode('Unexpected UTF-8 BOM (decode using utf-8-sig)', 0);
    let end;
    [obj, end] = p.value(p.ws(0));
    end = p.ws(end);
    if (end !== p.n) throw new Decode('Extra data', end);
  } catch (e) {
    if (e instanceof Deep) throw new JSONRefused(`it is nested more than ${MAX_DEPTH} levels deep`);
    if (e instanceof Stop) throw refuse('Expecting value', e.pos);
    if (e instanceof Decode) throw refuse(e.message, e.pos);
    if (e instanceof RangeError) throw new JSONRefused(`it is nested more than ${MAX_DEPTH} levels deep`);
    throw e;
  }
  if (depthOf(obj) > MAX_DEPTH) throw new JSONRefused(`it is nested more than ${MAX_DEPTH} levels deep`);
  return obj;
}
