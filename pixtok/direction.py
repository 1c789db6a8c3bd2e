"""Bidirectional text (UAX #9): embedding levels per character, and visual reordering of a line.

Levels come from python-bidi's implementation of the Unicode Bidirectional Algorithm, run only
on paragraphs that contain right-to-left characters (everything else is level 0). Reordering a
line (rule L2) is done here on glyph arrays, after line breaking, as the algorithm prescribes.
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np
from bidi import algorithm as uba

# Strong right-to-left and Arabic-letter ranges (Hebrew, Arabic, Syriac, Thaana, NKo, Samaritan,
# Mandaic, Arabic presentation forms, RTL explicit controls). Used as a fast pre-check.
_RTL = re.compile(
    "[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefe\u200f\u202b\u202e\u2067"
    "\U00010800-\U00010fff\U0001e800-\U0001efff]"
)


def has_rtl(text: str) -> bool:
    """Whether the text contains any right-to-left character (cheap test before running UBA)."""
    return _RTL.search(text) is not None


def paragraph_levels(paragraph: str, base: str | None = None) -> tuple[int, np.ndarray]:
    """Base level (0 LTR, 1 RTL; from the first strong character unless `base` is 'L' or 'R') and
    the resolved embedding level of every character of a paragraph (no newlines inside)."""
    if not has_rtl(paragraph) and base != "R":
        return 0, np.zeros(len(paragraph), dtype=np.int8)
    storage = uba.get_empty_storage()
    base_level = uba.PARAGRAPH_LEVELS[base] if base else uba.get_base_level(paragraph)
    storage["base_level"] = base_level
    storage["base_dir"] = ("L", "R")[base_level]
    uba.get_embedding_levels(paragraph, storage, False, False)
    uba.explicit_embed_and_overrides(storage, False)
    uba.resolve_weak_types(storage, False)
    uba.resolve_neutral_types(storage, False)
    uba.resolve_implicit_levels(storage, False)
    kept = np.fromiter((c["level"] for c in storage["chars"]), dtype=np.int8, count=len(storage["chars"]))
    # Rule X9 removes embedding controls and boundary neutrals (ZWJ, ZWNJ, ...); they take the
    # level of the character before them, as the algorithm's implementation notes suggest.
    removed = np.fromiter((unicodedata.bidirectional(c) in uba.X9_REMOVED for c in paragraph), dtype=bool)
    if len(kept) != int((~removed).sum()):
        raise RuntimeError("bidi levels do not match the paragraph")
    levels = np.full(len(paragraph), base_level, dtype=np.int8)
    levels[~removed] = kept
    for i in np.flatnonzero(removed):
        if i:
            levels[i] = levels[i - 1]
    return base_level, levels


def visual_order(levels: np.ndarray) -> np.ndarray:
    """Permutation that puts items of one line in visual order (UAX #9 rule L2): from the highest
    level down to the lowest odd level, reverse every maximal run at that level or higher."""
    order = np.arange(len(levels))
    if len(levels) == 0 or int(levels.max()) == 0:
        return order
    current = levels.copy()
    highest = int(current.max())
    lowest_odd = int(current.min()) | 1
    for level in range(highest, lowest_odd - 1, -1):
        at_or_above = current >= level
        if not at_or_above.any():
            continue
        edges = np.flatnonzero(np.diff(np.concatenate(([0], at_or_above.view(np.int8), [0]))))
        for start, stop in zip(edges[::2], edges[1::2], strict=True):
            order[start:stop] = order[start:stop][::-1]
            current[start:stop] = current[start:stop][::-1]
    return order
