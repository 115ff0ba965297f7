"""Text fit for the XML files pedcomm writes (REDCap project XML, REFI-QDA codebooks and projects).

XML 1.0 forbids most control characters (U+0001 to U+0008, U+000B, U+000C, U+000E to U+001F), the
noncharacters U+FFFE and U+FFFF and lone surrogates, even as character references: one of them in
an item's wording or a code's definition (pasted from a word processor) makes the whole file
unreadable to REDCap or a QDA tool. They are written as visible escapes (``\\x07``), like every
control character pedcomm shows. Markup characters (``<``, ``&``, ``]]>``) are escaped by the
writers themselves (character entities; never CDATA sections).
"""

from __future__ import annotations

import re

_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _visible(m: re.Match) -> str:
    c = ord(m.group())
    return f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}"


def xml_safe(text) -> str:
    """``text`` with the characters XML 1.0 cannot hold written as visible escapes."""
    return _ILLEGAL.sub(_visible, str(text))


def clean_tree(root) -> None:
    """Make every text, tail and attribute of an ElementTree element (and its descendants) XML-safe."""
    for el in root.iter():
        if el.text:
            el.text = xml_safe(el.text)
        if el.tail:
            el.tail = xml_safe(el.tail)
        for k, v in list(el.attrib.items()):
            el.attrib[k] = xml_safe(v)
