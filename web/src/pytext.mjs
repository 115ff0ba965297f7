// Two pieces of Python's standard library the header checks depend on, reproduced for their results:
// difflib's closest matches (the renamed-column guess, pedcomm.validation.hints.closest_names) and the
// csv module's reading of a file's first record (pedcomm.validation.read.header_of).
import { cmp, len } from './py.mjs';

// -- difflib.SequenceMatcher (no junk; autojunk only matters from 200 characters) ------------------

function matcher(a, b) {
  // a, b: arrays of code points as strings
  const b2j = new Map();
  b.forEach((ch, j) => {
    if (!b2j.has(ch)) b2j.set(ch, []);
    b2j.get(ch).push(j);
  });
  if (b.length >= 200) { // autojunk: popular elements (more than 1% + 1) are junk
    const ntest = Math.floor(b.length / 100) + 1;
    for (const [ch, idxs] of [...b2j]) if (idxs.length > ntest) b2j.delete(ch);
  }
  const longest = (alo, ahi, blo, bhi) => {
    let besti = alo;
    let bestj = blo;
    let bestsize = 0;
    let j2len = new Map();
    for (let i = alo; i < ahi; i++) {
      const newj2len = new Map();
      for (const j of b2j.get(a[i]) || []) {
        if (j < blo) continue;
        if (j >= bhi) break;
        const k = (j2len.get(j - 1) || 0) + 1;
        newj2len.set(j, k);
        if (k > bestsize) { besti = i - k + 1; bestj = j - k + 1; bestsize = k; }
      }
      j2len = newj2len;
    }
    while (besti > alo && bestj > blo && a[besti - 1] === b[bestj - 1]) { besti--; bestj--; bestsize++; }
    while (besti + bestsize < ahi && bestj + bestsize < bhi && a[besti + bestsize] === b[bestj + bestsize]) bestsize++;
    return [besti, bestj, bestsize];
  };
  const blocks = [];
  const queue = [[0, a.length, 0, b.length]];
  while (queue.length) {
    const [alo, ahi, blo, bhi] = queue.pop();
    const [i, j, k] = longest(alo, ahi, blo, bhi);
    if (k) {
      blocks.push([i, j, k]);
      if (alo < i && blo < j) queue.push([alo, i, blo, j]);
      if (i + k < ahi && j + k < bhi) queue.push([i + k, ahi, j + k, bhi]);
    }
  }
  return blocks.reduce((n, blk) => n + blk[2], 0);
}

function ratios(x, word) {
  const a = Array.from(x);
  const b = Array.from(word);
  const total = a.length + b.length;
  const r = (m) => (total ? (2 * m) / total : 1);
  const realQuick = r(Math.min(a.length, b.length));
  const counts = new Map();
  for (const ch of b) counts.set(ch, (counts.get(ch) || 0) + 1);
  const avail = new Map();
  let matches = 0;
  for (const ch of a) {
    const n = avail.has(ch) ? avail.get(ch) : counts.get(ch) || 0;
    avail.set(ch, n - 1);
    if (n > 0) matches++;
  }
  return { realQuick, quick: r(matches), full: () => r(matcher(a, b)) };
}

/** difflib.get_close_matches(word, possibilities, n=1, cutoff): the best, ties to the greater string. */
export function closeMatch(word, possibilities, cutoff = 0.6) {
  let best = null;
  for (const x of possibilities) {
    const q = ratios(x, word);
    if (q.realQuick >= cutoff && q.quick >= cutoff) {
      const score = q.full();
      if (score >= cutoff && (best === null || score > best[0] || (score === best[0] && cmp(x, best[1]) > 0))) best = [score, x];
    }
  }
  return best ? best[1] : null;
}

// -- csv.reader(io.StringIO(text)), first record, excel dialect ------------------------------------

export class CsvError extends Error {}
export class NoRecord extends Error {}

const START_RECORD = 0; const START_FIELD = 1; const IN_FIELD = 2; const IN_QUOTED = 3; const QUOTE_IN_QUOTED = 4;
const EAT_CRNL = 5;
const EOL = null;

/** The first record of ``text`` as Python's csv module reads it (lines split at '\n' only, as
 * io.StringIO does; a bare '\r' inside a line is its error). Throws CsvError, or NoRecord at the end. */
export function firstRecord(text) {
  const fields = [];
  let field = '';
  let fieldLen = 0;
  let state = START_RECORD;
  const save = () => { fields.push(field); field = ''; fieldLen = 0; };
  const add = (c) => { field += c; fieldLen++; };
  const step = (c) => {
    switch (state) {
      case START_RECORD:
        if (c === EOL) return;
        if (c === '\n' || c === '\r') { state = EAT_CRNL; return; }
        state = START_FIELD;
      // falls through
      case START_FIELD:
        if (c === '\n' || c === '\r' || c === EOL) { save(); state = c === EOL ? START_RECORD : EAT_CRNL; } else if (c === '"') state = IN_QUOTED;
        else if (c === ',') save();
        else { add(c); state = IN_FIELD; }
        return;
      case IN_FIELD:
        if (c === '\n' || c === '\r' || c === EOL) { save(); state = c === EOL ? START_RECORD : EAT_CRNL; } else if (c === ',') { save(); state = START_FIELD; } else add(c);
        return;
      case IN_QUOTED:
        if (c === EOL) return;
        if (c === '"') state = QUOTE_IN_QUOTED;
        else add(c);
        return;
      case QUOTE_IN_QUOTED:
        if (c === '"') { add(c); state = IN_QUOTED; } else if (c === ',') { save(); state = START_FIELD; } else if (c === '\n' || c === '\r' || c === EOL) { save(); state = c === EOL ? START_RECORD : EAT_CRNL; } else { add(c); state = IN_FIELD; }
        return;
      case EAT_CRNL:
        if (c === '\n' || c === '\r') return;
        if (c === EOL) { state = START_RECORD; return; }
        throw new CsvError('new-line character seen in unquoted field - do you need to open the file in universal-newline mode?');
      default:
    }
  };
  let pos = 0;
  let started = false;
  do {
    if (pos >= text.length) {
      if (fieldLen !== 0 || state === IN_QUOTED) { save(); return fields; }
      if (!started) throw new NoRecord();
      return fields;
    }
    started = true;
    const nl = text.indexOf('\n', pos);
    const line = nl < 0 ? text.slice(pos) : text.slice(pos, nl + 1);
    pos += line.length;
    for (const c of line) step(c);
    step(EOL);
  } while (state !== START_RECORD);
  return fields;
}

export { len };
