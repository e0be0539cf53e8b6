"""The one rule for control characters, in text people type and in text the site writes.

Invisible characters pasted from other programs break the files the site writes: XML
(SVG, XLSX) forbids most C0 control characters, so one vertical tab in a topic name made
the matrix, the scores workbook and the evidence pack fail. The rule:

- Line breaks in any spelling become "\\n": CR LF and CR (other systems), vertical tab
  and form feed (Word's manual line break and page break), NEL, U+2028 and U+2029 (the
  Unicode line and paragraph separators). They mean a break; dropping them would glue
  two words together ("Data\\x0bsecurity" would read "Datasecurity").
- Single-line text (names, titles, axis labels, everything drawn in a chart) has no line
  breaks and no tabs: each becomes a space.
- Every other control character (the rest of C0, DEL, C1), lone surrogates (which no
  UTF-8 file can hold) and the non-characters U+FFFE and U+FFFF are removed: nobody can
  see them, and no meaning can be guessed. Forms refuse them with a message instead
  (`refused_characters`), so that a person learns their text held one.

Plain Python, no Django: `surveys` forms, fields and services use it at input, and every
writer (charts, spreadsheets, the evidence pack) at output, so that text stored before
the rule, or by a path that skipped it, cannot break a file.
"""

from __future__ import annotations

import re

__all__ = ["plain_text", "refused_characters"]

_BREAKS = re.compile("\r\n?|[\x0b\x0c\x85\u2028\u2029]")
_REMOVED = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f\ud800-\udfff\ufffe\uffff]")
_NEEDS_WORK = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufffe\uffff]")
_SINGLE_LINE_NEEDS_WORK = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufffe\uffff]")


def plain_text(text: str, *, multiline: bool = False) -> str:
    """*text* under the rule of the module docstring: line breaks as "\\n" (as spaces,
    with tabs, when not *multiline*), other control characters removed."""
    needs_work = _NEEDS_WORK if multiline else _SINGLE_LINE_NEEDS_WORK
    if not needs_work.search(text):
        return text  # the usual case, and the cheap one
    text = _REMOVED.sub("", _BREAKS.sub("\n", text))
    if not multiline:
        text = text.replace("\n", " ").replace("\t", " ")
    return text


def refused_characters(text: str) -> list[str]:
    """The characters `plain_text` would remove, each once, in order, as "U+001B"."""
    found = dict.fromkeys(_REMOVED.findall(text))
    return [f"U+{ord(char):04X}" for char in found]
