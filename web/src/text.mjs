// Values made fit to show, as pedcomm.validation.masking does it outside the engine: control characters
// as visible escapes, lengths bounded (in code points, as Python counts them).
import { len } from './py.mjs';

const CONTROL = /[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

export function neutralise(text) {
  return text.replace(CONTROL, (ch) => {
    const c = ch.codePointAt(0);
    return c < 0x100 ? `\\x${c.toString(16).padStart(2, '0')}` : `\\u${c.toString(16).padStart(4, '0')}`;
  });
}

export function bounded(text, limit = 200) {
  const n = len(text);
  if (n <= limit) return text;
  return `${Array.from(text).slice(0, limit - 30).join('')}... (${n} characters)`;
}

export { len };
