"""JSON from elsewhere, parsed within bounds: strict numbers, bounded nesting, no exceptions but one.

Python's json module accepts what JSON does not (NaN, Infinity), turns 1e400 into infinity, raises
ValueError (not JSONDecodeError) on an integer of more than 4,300 digits and RecursionError on
deeply nested input, lets the last of two equal names in an object win and reads a lone surrogate
escape (\\ud800) into a string no file can be written with. ``loads`` turns every
one of these into ``JSONRefused`` with a sentence a data
manager can act on; the callers report it under their own code (PACKAGE_UNREADABLE,
SUMMARY_UNREADABLE, ...). ``dumps`` is the writing side: never a NaN or Infinity literal.
"""

from __future__ import annotations

import json
import math
import re

#: Nesting levels a document may have. A Data Package descriptor with inline Table Schemas is
#: about 7 levels deep and a site summary 4; 64 leaves room for any honest document.
MAX_DEPTH = 64
#: Integers must fit a signed 64-bit integer (what every consumer of these files can hold).
INT_MIN, INT_MAX = -(2 ** 63), 2 ** 63 - 1


class JSONRefused(ValueError):
    """The text is not JSON pedcomm will use; ``str(e)`` says why, in words."""


def _int(text: str) -> int:
    digits = text.lstrip("+-")
    if len(digits) > 19:
        raise JSONRefused(f"it holds a whole number of {len(digits)} digits, beyond the 64-bit range")
    value = int(text)
    if not INT_MIN <= value <= INT_MAX:
        raise JSONRefused(f"it holds the whole number {text}, beyond the 64-bit range")
    return value


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise JSONRefused(f"it holds the number {text[:30]}, too large to represent")
    return value


def _constant(name: str):
    raise JSONRefused(f"it holds {name}, which is not a JSON number")


def depth(obj) -> int:
    """Nesting depth of parsed JSON (iterative: no recursion limit to hit)."""
    deepest, stack = 0, [(obj, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, level)
            if level > MAX_DEPTH:
                return level
            stack.extend((v, level + 1) for v in (item.values() if isinstance(item, dict) else item))
    return deepest


def _object(pairs: list) -> dict:
    """A JSON object; a name given twice is refused (JSON leaves its meaning open: readers differ on
    which value wins, so a document that two tools would read differently is not used)."""
    out = dict(pairs)
    if len(out) != len(pairs):
        keys = [k for k, _ in pairs]
        twice = next(k for i, k in enumerate(keys) if k in keys[:i])
        # only a plain lower-case name is quoted: any other might be a value worth masking
        shown = f" ('{twice}')" if re.fullmatch(r"[a-z_][a-z0-9_]{0,39}", twice) else ""
        raise JSONRefused(f"it gives the same name twice in one object{shown}")
    return out


def loads(data: bytes | str, *, max_depth: int = MAX_DEPTH):
    """Parse JSON text (UTF-8, with or without a byte-order mark); raises JSONRefused."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError as e:
            raise JSONRefused(f"it is not UTF-8 text (byte {e.start})") from None
    try:
        obj = json.loads(data, parse_int=_int, parse_float=_float, parse_constant=_constant, object_pairs_hook=_object)
    except RecursionError:
        raise JSONRefused(f"it is nested more than {max_depth} levels deep") from None
    except json.JSONDecodeError as e:
        raise JSONRefused(f"invalid JSON at line {e.lineno}, column {e.colno} ({e.msg})") from None
    except JSONRefused:
        raise
    except ValueError as e:  # Python's own integer-size limit, and other number conversions
        raise JSONRefused(f"it holds a number that cannot be read ({str(e)[:80]})") from None
    if depth(obj) > max_depth:
        raise JSONRefused(f"it is nested more than {max_depth} levels deep")
    if _SURROGATE.search(data) and _lone_surrogate(obj):
        raise JSONRefused("it holds a lone surrogate escape (such as \\ud800), which is not a character: "
                          "no text file can hold it")
    return obj


#: A surrogate escape in JSON text (a pair of them is one character; one alone is none).
_SURROGATE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


def _lone_surrogate(obj) -> bool:
    """Whether a string (a value or a name) of the parsed document holds a lone surrogate."""
    stack = [obj]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if any("\ud800" <= c <= "\udfff" for c in item):
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def finite(obj):
    """A copy of ``obj`` with every non-finite float replaced by None (JSON has no NaN)."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [finite(v) for v in obj]
    return obj


def dumps(obj, **kwargs) -> str:
    """JSON text that every reader accepts: non-finite numbers become null, never NaN or Infinity."""
    return json.dumps(finite(obj), allow_nan=False, **kwargs)
