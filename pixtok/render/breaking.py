"""Where a line may end: ICU's line break opportunities (UAX #14) and grapheme cluster boundaries.

ICU (through the `icu4py` wheel, which bundles ICU4C) implements the Unicode line breaking
algorithm in full: break opportunities after spaces and hyphens, around ideographs with the
kinsoku classes of Japanese and Chinese (no small kana, closing bracket, ideographic full stop
or ellipsis at a line start), and dictionary-based word breaks for Thai, Lao, Khmer and
Burmese, which write no spaces between words. Where no opportunity falls inside a word wider
than a line, the layout breaks it between grapheme clusters (UAX #29, ICU's character
iterator), so no letter is split from its marks.

ICU counts in UTF-16 code units; offsets here are Python string offsets (code points). The
break iterator is walked by `_breaks` through ICU's C API, in the ICU library icu4py carries;
where an icu4py build carries none, icu4py's own iterator is read, with the same results.
"""

from __future__ import annotations

import ctypes
import operator
import re
import threading
from collections.abc import Iterator
from pathlib import Path

import icu4py
import numpy as np
from icu4py.breakers import CharacterBreaker, LineBreaker

from pixtok.render import _breaks, _text
from pixtok.render.text import codepoints


def _icu_text(text: str) -> tuple[str, np.ndarray, np.ndarray | None]:
    """The text as ICU takes it (lone surrogates, which UTF-16 cannot carry, become U+FFFD; both
    are one UTF-16 unit), its UTF-16 code units, and the code point offset of every UTF-16
    offset where they differ (None: they are the same, the common case)."""
    try:
        encoded = text.encode("utf-16-le")
    except UnicodeEncodeError:
        text = "".join("\ufffd" if 0xD800 <= ord(c) <= 0xDFFF else c for c in text)
        encoded = text.encode("utf-16-le")
    units = np.frombuffer(encoded, dtype=np.uint16)
    if len(units) == len(text):  # no character beyond the Basic Multilingual Plane
        return text, units, None
    units_per_char = np.where(codepoints(text) > 0xFFFF, 2, 1)
    utf16_to_cp = np.repeat(np.arange(len(text) + 1), np.append(units_per_char, 1))
    return text, units, utf16_to_cp


def _ends(segments: Iterator[tuple[int, int]]) -> np.ndarray:
    """The end of every (start, end) segment icu4py gives."""
    return np.fromiter(map(_END, segments), dtype=np.int64)


_END = operator.itemgetter(1)
#: ICU's UBreakIteratorType values, and icu4py's breaker of each.
_CHARACTER, _LINE = 0, 2
_BREAKERS = {_CHARACTER: CharacterBreaker, _LINE: LineBreaker}


#: ICU's functions `_breaks.BreakIterators` calls, in the order it takes their addresses.
_ICU_FUNCTIONS = ("open", "setText", "first", "next", "close")


def _icu_c_api() -> tuple[int, ...] | None:
    """Addresses of ubrk_open, ubrk_setText, ubrk_first, ubrk_next and ubrk_close in the ICU
    library icu4py's wheel carries (its symbols bear ICU's major version: ubrk_open_78), or None
    where it carries none (then icu4py's own iterator is read)."""
    folder = Path(icu4py.__file__).resolve().parent.parent / "icu4py.libs"
    for path in sorted(folder.glob("libicuuc*.so*")):
        version = re.search(r"\.so\.(\d+)", path.name)
        try:
            library = ctypes.CDLL(str(path))
            suffix = f"_{version.group(1)}" if version else ""
            functions = [getattr(library, f"ubrk_{name}{suffix}") for name in _ICU_FUNCTIONS]
        except (OSError, AttributeError):
            continue
        return tuple(ctypes.cast(f, ctypes.c_void_p).value for f in functions)  # type: ignore[misc]
    return None


_ICU = _icu_c_api()
_THREAD = threading.local()


def _iterators() -> _breaks.BreakIterators:
    """This thread's open ICU break iterators."""
    iterators = getattr(_THREAD, "iterators", None)
    if iterators is None:
        iterators = _THREAD.iterators = _breaks.BreakIterators(*_ICU)
    return iterators


def _boundaries(text: str, kind: int, locale: str) -> np.ndarray:
    """ICU's boundaries of `kind` after 0, as code point offsets (the end of the text last)."""
    if not text:
        return np.zeros(0, dtype=np.int64)
    # The common case: one UTF-16 unit per character (offsets alike), read by a compiled pass.
    units = _text.bmp_units(text) if _ICU is not None else None
    mapping = None
    if units is None:
        icu_text, units, mapping = _icu_text(text)
    if _ICU is not None:
        ends = _iterators().boundaries(kind, locale.encode("ascii", "replace"), units)
    else:
        ends = _ends(_BREAKERS[kind](icu_text, locale).segments())
    return ends if mapping is None else mapping[ends]


def line_break_opportunities(text: str, locale: str = "") -> np.ndarray:
    """Offsets at which a line may start (UAX #14 break opportunities, by ICU), ascending.

    The end of the text is included; 0 is not. A mandatory break (after a newline) is an
    opportunity like the others: the layout knows where newlines are.
    """
    return _boundaries(text, _LINE, locale)


def grapheme_boundaries(text: str) -> np.ndarray:
    """Offsets at which a grapheme cluster starts (UAX #29, by ICU), after 0, up to len(text)."""
    return _boundaries(text, _CHARACTER, "")


def icu_locale(language: str | None) -> str:
    """The ICU locale for a BCP 47 language tag (ICU reads `zh-Hans` as `zh_Hans`)."""
    return (language or "").replace("-", "_")
