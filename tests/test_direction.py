"""The vectorised bidi resolution agrees with the full algorithm of the unicode-bidi crate (python-bidi's
core), paired brackets (N0) included."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pixtok.render.direction import has_rtl, reference_levels, text_levels, visual_order_lines

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
RTL_FILES = ["ar_msgstr_gtk20-properties.txt", "fa_prose_gnome-help.txt", "he_msgstr_gnome-gnu.txt"]


def _check_against_reference(text: str) -> None:
    levels, bases = text_levels(text)
    offset = 0
    for paragraph in text.split("\n"):
        if has_rtl(paragraph):
            base, want = reference_levels(paragraph)
        else:
            base, want = 0, np.zeros(len(paragraph), dtype=np.int8)
        got = levels[offset : offset + len(paragraph)]
        assert np.array_equal(got, want), (paragraph, got, want)
        if paragraph:
            assert bases[offset] == base, paragraph
        offset += len(paragraph) + 1


@pytest.mark.parametrize("name", RTL_FILES)
def test_levels_match_reference_on_corpus(name: str) -> None:
    _check_against_reference((CORPUS / name).read_text(encoding="utf-8"))


# Arabic and Hebrew letters, Latin, digits of both kinds, separators, terminators, marks,
# spaces, punctuation, paired brackets, ZWNJ and newlines: every class the vectorised rules resolve.
_ALPHABET = (
    "abcXYZ"
    + "אבג"
    + "ابت"
    + "0123"
    + "٠١٢"
    + "+-,.:/"
    + "$%#"
    + "\u064b\u05b0\u0301"
    + " \t!()[]{}\"'"
    + "\u200c\n"
)


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=_ALPHABET, max_size=60))
def test_levels_match_reference_on_random_mixes(text: str) -> None:
    _check_against_reference(text)


def test_explicit_embeddings_use_the_reference() -> None:
    text = "abc \u202bאבג 123\u202c def"
    levels, _ = text_levels(text)
    assert np.array_equal(levels, reference_levels(text)[1])


def test_left_to_right_text_is_level_zero() -> None:
    levels, bases = text_levels("plain text\nmore")
    assert not levels.any() and not bases.any()


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 4)), max_size=40))
def test_visual_order_of_many_lines_equals_line_by_line(items: list[tuple[int, int]]) -> None:
    items.sort(key=lambda item: item[0])
    line = np.asarray([i[0] for i in items], dtype=np.int64)
    levels = np.asarray([i[1] for i in items], dtype=np.int8)
    want = np.arange(len(items))
    for value in np.unique(line):  # each line alone, as the only line
        idx = np.flatnonzero(line == value)
        want[idx] = idx[0] + visual_order_lines(levels[idx], np.zeros(len(idx), dtype=np.int64))
    assert np.array_equal(visual_order_lines(levels, line), want)


def test_visual_order_reverses_rtl_runs() -> None:
    # "abc DEF ghi" with DEF right-to-left inside a left-to-right paragraph.
    levels = np.array([0, 0, 0, 0, 1, 1, 1, 0, 0, 0, 0], dtype=np.int8)
    one_line = np.zeros(len(levels), dtype=np.int64)
    assert visual_order_lines(levels, one_line).tolist() == [0, 1, 2, 3, 6, 5, 4, 7, 8, 9, 10]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(["ab", "Zq", "אב", "גדה", "سلام", "12", "٣٤", " ", ".", ",", "-"]),
        min_size=1,
        max_size=30,
    ),
    st.integers(0, 2),
)
def test_visual_order_equals_python_bidi_display(pieces: list[str], lines: int) -> None:
    """Lines of letters of both directions, digits and separators (nothing mirrored, no trailing
    space, which rule L1 would move): the characters in pixtok's visual order read as
    python-bidi's `get_display` of each line shows them."""
    from bidi import get_display

    texts = ["".join(pieces[k :: lines + 1]).strip() for k in range(lines + 1)]
    texts = [t for t in texts if t and has_rtl(t)]
    for text in texts:
        levels, _ = text_levels(text)
        order = visual_order_lines(levels, np.zeros(len(text), dtype=np.int64))
        assert "".join(text[i] for i in order) == get_display(text), text
    if texts:  # all the lines at once: each keeps its own order
        joined = "".join(texts)
        levels = np.concatenate([text_levels(t)[0] for t in texts])
        line = np.repeat(np.arange(len(texts)), [len(t) for t in texts])
        order = visual_order_lines(levels, line)
        assert "".join(joined[i] for i in order) == "".join(get_display(t) for t in texts)


def test_every_right_to_left_character_is_seen_by_the_pre_check() -> None:
    """`has_rtl` decides whether a text needs the bidi algorithm at all: every character whose
    Bidi_Class (Python's unicodedata) is R, AL, RLE, RLO or RLI must be in its ranges, or a text
    of it would be laid out left to right; and its ranges hold no left-to-right letter. Every
    code point is asked, through the pre-check itself."""
    import unicodedata

    from pixtok.render.text import codepoints

    classes = [unicodedata.bidirectional(chr(c)) for c in range(0x110000)]
    rtl_classes = {"R", "AL", "RLE", "RLO", "RLI"}
    right_to_left = np.fromiter((c in rtl_classes for c in classes), bool, count=0x110000)
    seen = np.zeros(0x110000, dtype=bool)
    for block in range(0, 0x110000, 256):  # a block with none needs no character asked alone
        if has_rtl("".join(map(chr, range(block, block + 256)))):
            seen[block : block + 256] = [has_rtl(chr(c)) for c in range(block, block + 256)]
    assert not (right_to_left & ~seen).any()
    assert not any(seen[c] for c, bidi in enumerate(classes) if bidi == "L")
    for text in ("plain ascii", "Привет", "日本語", "abc \u05d0", "x\u202ey", "\U0001e900", "\ud800 lone"):
        expected = any(right_to_left[ord(c)] for c in text)
        assert has_rtl(text) == has_rtl(text, codepoints(text)) == expected, text


def test_left_to_right_levels_are_read_only_zeros_as_long_as_the_text() -> None:
    """Texts with no right-to-left character share one array of zero levels, grown as longer
    texts come: each gets a read-only view of its own length, and views given out earlier
    stay as they were."""
    first = text_levels("short text")
    longer = text_levels("a" * 70_000 + " é 日本語")
    again = text_levels("ab")
    for (levels, base), n in ((first, 10), (longer, 70_006), (again, 2)):
        assert levels.shape == base.shape == (n,) and levels.dtype == np.int8
        assert not levels.any() and not levels.flags.writeable
        with pytest.raises(ValueError, match="read-only"):
            levels[0] = 1
