"""Text before shaping: newline and tab handling, and segmentation into units with the line-break
opportunities between them.

A unit is a stretch of text that shapes the same wherever it appears: a run of spaces, a word
(ending after a hyphen, if it has one), one CJK character, a newline. Shaping each distinct unit
once and reusing it is what makes long texts fast; break opportunities are decided between units
(spaces, after hyphens, around CJK characters with the common kinsoku rules, explicit newlines),
a simplified form of UAX #14 that covers running prose in the scripts pixtok ships fonts for.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

# Unit kinds.
SPACE, WORD, CJK, NEWLINE, MARKER = 0, 1, 2, 3, 4

_CJK = (
    "\u1100-\u11ff\u2e80-\u2fdf\u3000-\u303f\u3040-\u30ff\u3100-\u312f\u3130-\u318f\u31f0-\u31ff"
    "\u3200-\u4dbf\u4e00-\u9fff\ua960-\ua97f\uac00-\ud7ff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef"
    "\U00020000-\U0003ffff"
)
# Breakable spaces (no-break space U+00A0, figure space U+2007 and narrow no-break space U+202F
# are deliberately absent: they glue words). U+200B is a zero-width break opportunity.
_SPACES = " \t\u1680\u2000-\u2006\u2008-\u200b\u205f\u3000"
_MARKS = (
    "\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\u3099\u309a\ufe00-\ufe0f\ufe20-\ufe2f\u200c\u200d"
)
_HYPHENS = "\\-\u2010"

# Characters that must not begin a line (closing punctuation, small kana) or end one (openers).
NO_BREAK_BEFORE = frozenset(
    "、。，．：；？！）］｝〕〉》」』】〙〗〟’”｠»ゝゞーァィゥェォッャュョヮヵヶぁぃぅぇぉっゃゅょゎゕゖ々〻゠–〜～・,.:;?!)]}%"
)
NO_BREAK_AFTER = frozenset("（［｛〔〈《「『【〘〖〝‘“｟«([{")


def unit_pattern(marker: str | None) -> re.Pattern[str]:
    """The regular expression that splits text into units (a newline marker is its own unit)."""
    marker_alt = f"{re.escape(marker)}|" if marker else ""
    exclude = re.escape(marker) if marker else ""
    return re.compile(
        f"\n|{marker_alt}[{_SPACES}]+[{_MARKS}]*|[{_CJK}][{_MARKS}]*"
        f"|[^{_SPACES}{_CJK}{_HYPHENS}\n{exclude}]+[{_HYPHENS}]?|[{_HYPHENS}]+[{_MARKS}]*"
    )


@dataclass(frozen=True)
class PreparedText:
    """Text as it will be shaped, with the offset in the original text of each of its characters."""

    text: str
    origin: np.ndarray | None  # None when offsets are unchanged

    def original_offset(self, index: np.ndarray) -> np.ndarray:
        return index if self.origin is None else self.origin[index]


def prepare(text: str, newlines: str = "keep", marker: str = "↵", tab_size: int = 4) -> PreparedText:
    """Normalise line ends, expand tabs to spaces, and apply the newline mode.

    `keep` keeps paragraphs, `space` joins them with a space, `marker` joins them with a visible
    marker (as in Glyph's newline markup). Offsets into the original text are kept.
    """
    needs_map = "\r" in text or "\t" in text
    if not needs_map:
        if newlines == "space":
            text = text.replace("\n", " ")
        elif newlines == "marker":
            text = text.replace("\n", marker)
        return PreparedText(text, None)
    out: list[str] = []
    origin: list[int] = []
    column = 0
    skip_next_lf = False
    for index, char in enumerate(text):
        if skip_next_lf and char == "\n":
            skip_next_lf = False
            continue
        skip_next_lf = False
        if char == "\r":
            char, skip_next_lf = "\n", True
        if char == "\t":
            width = tab_size - column % tab_size
            out.append(" " * width)
            origin.extend([index] * width)
            column += width
            continue
        if char == "\n":
            column = 0
            char = {"keep": "\n", "space": " ", "marker": marker}[newlines]
        else:
            column += 1
        out.append(char)
        origin.append(index)
    return PreparedText("".join(out), np.asarray(origin, dtype=np.int64))
