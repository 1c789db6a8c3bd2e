"""Text before shaping: line ends, the newline mode, and what each character is to the layout.

`prepare` normalises line ends (`\\r\\n`, `\\r` and the other mandatory breaks of UAX #14:
vertical tab, form feed, NEL, LINE SEPARATOR and PARAGRAPH SEPARATOR, become `\\n`) and applies
the newline mode; tabs stay tabs (the layout advances them to tab stops). The offset in the
original text of every character is kept, so glyphs point back to what the user gave.
Character classes the later stages need (spaces that hang at a line end, CJK characters that
take justification, newlines) are found here with one vectorised pass over the code points.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from pixtok.render import _text

#: Spaces that hang at the end of a line instead of taking room in it (no-break spaces U+00A0,
#: U+2007 and U+202F glue words and never end a line, so they are not listed).
HANGING_SPACES = " \t\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2008\u2009\u200a\u200b\u205f\u3000"

# Code point ranges of characters set on an ideographic grid (Han, kana, Bopomofo, CJK
# punctuation and symbols, full-width forms): justification spreads space between them.
_CJK_RANGES = (
    (0x2E80, 0x2FDF),
    (0x3000, 0x303F),
    (0x3040, 0x30FF),
    (0x3100, 0x312F),
    (0x3190, 0x31FF),
    (0x3200, 0x33FF),
    (0x3400, 0x4DBF),
    (0x4E00, 0x9FFF),
    (0xF900, 0xFAFF),
    (0xFE30, 0xFE4F),
    (0xFF00, 0xFF60),
    (0xFFE0, 0xFFE6),
    (0x20000, 0x3FFFF),
)


@dataclass
class PreparedText:
    """Text as it will be laid out, with the offset in the original text of each character.

    `marker_ends` holds the offsets just after each newline marker (`newlines="marker"`): a line
    may always end there, as it could at the newline the marker stands for.
    """

    text: str
    origin: np.ndarray | None  # None when offsets are unchanged
    marker_ends: np.ndarray

    def original_offset(self, index: np.ndarray) -> np.ndarray:
        return index if self.origin is None else self.origin[index]


#: Line ends other than `\\n`: CR (alone or before LF) and the characters UAX #14 gives a
#: mandatory break after (classes BK and NL: VT, FF, NEL, U+2028, U+2029), as ICU breaks them.
OTHER_LINE_ENDS = "\r\x0b\x0c\x85\u2028\u2029"
_OTHER_LINE_END = re.compile(f"[{OTHER_LINE_ENDS}]")

_NO_MARKERS = np.zeros(0, dtype=np.int64)
_NO_MARKERS.flags.writeable = False


def prepare(text: str, newlines: str = "keep", marker: str = "↵") -> PreparedText:
    """Normalise line ends and apply the newline mode.

    `keep` keeps paragraphs, `space` joins them with a space, `marker` joins them with a visible
    marker (as in Glyph's newline markup). Offsets into the original text are kept.
    """
    simple = newlines != "marker" or len(marker) == 1 or "\n" not in text
    if simple and _OTHER_LINE_END.search(text) is None:
        if newlines == "space":
            text = text.replace("\n", " ")
        elif newlines == "marker" and "\n" in text:
            ends = np.flatnonzero(codepoints(text) == 10) + 1
            return PreparedText(text.replace("\n", marker), None, ends.astype(np.int64))
        return PreparedText(text, None, _NO_MARKERS)
    out: list[str] = []
    origin: list[int] = []
    ends: list[int] = []
    skip_next_lf = False
    for index, char in enumerate(text):
        if skip_next_lf and char == "\n":
            skip_next_lf = False
            continue
        skip_next_lf = False
        if char == "\r":
            char, skip_next_lf = "\n", True
        elif char in OTHER_LINE_ENDS:
            char = "\n"
        if char == "\n" and newlines != "keep":
            replacement = " " if newlines == "space" else marker
            out.append(replacement)
            origin.extend([index] * len(replacement))
            if newlines == "marker":
                ends.append(len(origin))
            continue
        out.append(char)
        origin.append(index)
    return PreparedText("".join(out), np.asarray(origin, dtype=np.int64), np.asarray(ends, dtype=np.int64))


def codepoints(text: str) -> np.ndarray:
    """The code points of a text as a uint32 array (lone surrogates included as they are)."""
    return _text.codepoints(text)


_HANGING = np.zeros(max(map(ord, HANGING_SPACES)) + 2, dtype=bool)
_HANGING[[ord(c) for c in HANGING_SPACES]] = True
_HANGING_OR_NEWLINE = _HANGING.copy()
_HANGING_OR_NEWLINE[10] = True


def is_hanging_space(cps: np.ndarray, newline: bool = False) -> np.ndarray:
    """Which characters are spaces that hang at a line end (see HANGING_SPACES); with
    `newline`, newlines too."""
    table = _HANGING_OR_NEWLINE if newline else _HANGING
    return table[np.minimum(cps, len(table) - 1)]


def is_cjk(cps: np.ndarray) -> np.ndarray:
    """Which characters sit on an ideographic grid (Han, kana, CJK punctuation, full-width forms)."""
    mask = np.zeros(len(cps), dtype=bool)
    if not len(cps) or int(cps.max()) < _CJK_RANGES[0][0]:
        return mask
    for low, high in _CJK_RANGES:
        mask |= (cps >= low) & (cps <= high)
    return mask
