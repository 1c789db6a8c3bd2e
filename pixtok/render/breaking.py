"""Where a line may end: ICU's line break opportunities (UAX #14) and grapheme cluster boundaries.

ICU (through the `icu4py` wheel, which bundles ICU4C) implements the Unicode line breaking
algorithm in full: break opportunities after spaces and hyphens, around ideographs with the
kinsoku classes of Japanese and Chinese (no small kana, closing bracket, ideographic full stop
or ellipsis at a line start), and dictionary-based word breaks for Thai, Lao, Khmer and
Burmese, which write no spaces between words. Where no opportunity falls inside a word wider
than a line, the layout breaks it between grapheme clusters (UAX #29, ICU's character
iterator), so no letter is split from its marks.

ICU counts in UTF-16 code units; offsets here are Python string offsets (code points).
"""

from __future__ import annotations

import operator
import re
from collections.abc import Iterator

import numpy as np
from icu4py.breakers import CharacterBreaker, LineBreaker

from pixtok.render.text import codepoints

#: Lone surrogates and characters beyond the Basic Multilingual Plane: what makes ICU's UTF-16
#: offsets differ from code point offsets, or UTF-8 fail.
_BEYOND_UCS2 = re.compile("[\ud800-\udfff\U00010000-\U0010ffff]")


def _icu_text(text: str) -> tuple[str, np.ndarray | None]:
    """The text as ICU takes it (lone surrogates, which UTF-8 cannot carry, become U+FFFD; both
    are one UTF-16 unit), and the code point offset of every UTF-16 offset when they differ."""
    if _BEYOND_UCS2.search(text) is None:  # the common case: nothing to map
        return text, None
    cps = codepoints(text)
    surrogate = (cps >= 0xD800) & (cps <= 0xDFFF)
    if surrogate.any():
        text = "".join("\ufffd" if 0xD800 <= ord(c) <= 0xDFFF else c for c in text)
    astral = cps > 0xFFFF
    if not astral.any():
        return text, None
    units = np.where(astral, 2, 1)
    utf16_to_cp = np.repeat(np.arange(len(cps) + 1), np.append(units, 1))
    return text, utf16_to_cp


def _ends(segments: Iterator[tuple[int, int]], mapping: np.ndarray | None) -> np.ndarray:
    """The end of every (start, end) segment ICU gives, as code point offsets."""
    ends = np.fromiter(map(_END, segments), dtype=np.int64)
    return ends if mapping is None else mapping[ends]


_END = operator.itemgetter(1)


def line_break_opportunities(text: str, locale: str = "") -> np.ndarray:
    """Offsets at which a line may start (UAX #14 break opportunities, by ICU), ascending.

    The end of the text is included; 0 is not. A mandatory break (after a newline) is an
    opportunity like the others: the layout knows where newlines are.
    """
    if not text:
        return np.zeros(0, dtype=np.int64)
    icu_text, mapping = _icu_text(text)
    return _ends(LineBreaker(icu_text, locale).segments(), mapping)


def grapheme_boundaries(text: str) -> np.ndarray:
    """Offsets at which a grapheme cluster starts (UAX #29, by ICU), after 0, up to len(text)."""
    if not text:
        return np.zeros(0, dtype=np.int64)
    icu_text, mapping = _icu_text(text)
    return _ends(CharacterBreaker(icu_text, "").segments(), mapping)


def icu_locale(language: str | None) -> str:
    """The ICU locale for a BCP 47 language tag (ICU reads `zh-Hans` as `zh_Hans`)."""
    return (language or "").replace("-", "_")
