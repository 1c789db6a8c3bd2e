"""A text's code points and UTF-16 units, read from the string by the compiled pass
(`pixtok/render/_text.pyx`), equal what Python's own codecs give: UTF-32 with lone surrogates
passed through, and UTF-16 with a lone surrogate as U+FFFD, for strings stored one, two and four
bytes a character.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from pixtok.render import _text
from pixtok.render.text import codepoints

ANY_CHARACTER = st.characters(min_codepoint=0, max_codepoint=0x10FFFF, exclude_categories=())


def utf32(text: str) -> list[int]:
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32).tolist()


def utf16(text: str) -> list[int] | None:
    if any(ord(c) > 0xFFFF for c in text):
        return None
    clean = "".join("\ufffd" if 0xD800 <= ord(c) <= 0xDFFF else c for c in text)
    return np.frombuffer(clean.encode("utf-16-le"), dtype=np.uint16).tolist()


@given(st.text(alphabet=ANY_CHARACTER, max_size=64))
def test_code_points_and_units_equal_pythons_codecs(text: str) -> None:
    cps = codepoints(text)
    assert cps.dtype == np.uint32 and cps.flags.c_contiguous and cps.flags.writeable
    assert cps.tolist() == utf32(text)
    units = _text.bmp_units(text)
    assert (None if units is None else units.tolist()) == utf16(text)
    assert units is None or units.dtype == np.uint16


def test_each_storage_width_and_the_edges_of_the_planes() -> None:
    texts = [
        "",
        "ascii only",
        "Latin-1: é ß ÿ",
        "BMP: 日本語 ㄱ \uffff",
        "lone \ud800 and \udfff surrogates",
        "astral: \U0001f600 \U00010000 \U0010ffff",
    ]
    for text in texts:
        assert codepoints(text).tolist() == utf32(text), text
        units = _text.bmp_units(text)
        assert (None if units is None else units.tolist()) == utf16(text), text
