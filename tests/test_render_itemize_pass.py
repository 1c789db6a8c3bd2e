"""Runs, fonts, scripts, glyph order and bidi levels from the compiled passes, checked against
references outside pixtok: the `regex` module's Unicode scripts, the fonts' cmaps as fontTools
reads them, uharfbuzz's glyph objects and python-bidi's full bidi algorithm."""

from __future__ import annotations

import functools
import random
from pathlib import Path

import numpy as np
import pytest
import regex
from fontTools.ttLib import TTFont
from harfbuzz_reference import uharfbuzz_reference
from hypothesis import given, settings
from hypothesis import strategies as st

from pixtok.render._itemize import itemize_known
from pixtok.render.direction import has_rtl, reference_levels, text_levels
from pixtok.render.fonts import Font, FontChain
from pixtok.render.harfbuzz import UharfbuzzShaper, c_library
from pixtok.render.itemize import _UNSEEN, CJK_GROUP, Itemizer, Runs, _property_table, char_properties
from pixtok.render.language import han_forms
from pixtok.render.shaping import Shaper
from pixtok.render.text import codepoints

STRONG = 1 << 10  # the property flag of a letter (or mark) of some script
EMOJI = 1 << 12  # the property flag of a character that may start or join an emoji sequence

CORPUS = sorted((Path(__file__).resolve().parents[1] / "corpus").glob("*.txt"))
MIXED = [
    "Hello мир κόσμε שלום עולם مرحبا بالعالم नमस्ते दुनिया สวัสดีชาวโลก 你好世界 こんにちは 안녕하세요",
    "e\u0301 a\u0308\u0323 ק\u05b8 ب\u064e ि\u0902 👍🏽 👨\u200d👩\u200d👧 🇫🇷 1\ufe0f\u20e3 ☺\ufe0e"
    "\n\n(x) [١٢٣] 2.5%",
    "\u200b\u00ad\u2060 tab\tand\nnewline\n\nπ≈3.14 — «quotes» ‹›\u3000全角　スペース ㈠ ﬁ",
    "ꦲꦏ ⴰⵣ ᚠᚢ \U0001d400\U0001d41a \U00020000 \ue000 unknown letters and missing glyphs",
]


@pytest.fixture(scope="module")
def chain() -> FontChain:
    return FontChain.from_specs((), fallback=True, system_fonts=False)


@functools.cache
def cmap(font: Font) -> frozenset[int]:
    """The code points a font maps to glyphs, as fontTools reads its cmap."""
    with TTFont(str(font.path), fontNumber=font.index, lazy=True) as tt:
        return frozenset(tt.getBestCmap() or ())


def itemized(chain: FontChain, text: str, language: str | None = None) -> tuple[np.ndarray, Runs]:
    cps = codepoints(text)
    levels, _ = text_levels(text)
    return cps, Itemizer(chain).itemize(text, cps, levels, language)


def texts() -> list[str]:
    rng = random.Random(7)
    corpus = [path.read_text(encoding="utf-8") for path in CORPUS]
    windows = [text[k : k + 300] for text in corpus for k in (0, 1500)]
    pool = "".join(MIXED) + "".join(text[:400] for text in corpus)
    shuffled = ["".join(rng.choice(pool) for _ in range(rng.randrange(1, 120))) for _ in range(60)]
    return MIXED + windows + shuffled


@pytest.mark.parametrize("language", [None, "ja"])
def test_runs_cover_the_text_and_split_only_where_something_changes(
    chain: FontChain, language: str | None
) -> None:
    for text in texts():
        _, runs = itemized(chain, text, language)
        assert runs.start[0] == 0 and runs.end[-1] == len(text), text
        assert np.array_equal(runs.start[1:], runs.end[:-1]), text
        assert (runs.end > runs.start).all(), text
        for r in range(1, len(runs)):
            before = (runs.font[r - 1], runs.level[r - 1], runs.language[r - 1])
            after = (runs.font[r], runs.level[r], runs.language[r])
            group = [s if s not in CJK_GROUP else "CJK" for s in (runs.script[r - 1], runs.script[r])]
            assert before != after or group[0] != group[1] or None in group, (text, r)


def test_each_run_has_the_script_of_its_letters(chain: FontChain) -> None:
    """Every letter or mark of a script in a run is of the run's script by Unicode's Script or
    Script_Extensions property (per `regex`), or of the Han-kana-Bopomofo group with it."""
    cjk = "[" + "".join(rf"\p{{sc={s}}}\p{{scx={s}}}" for s in CJK_GROUP) + "]"
    for text in texts():
        cps, runs = itemized(chain, text)
        strong = (char_properties(cps) & STRONG) != 0
        for start, end, script in zip(runs.start.tolist(), runs.end.tolist(), runs.script, strict=True):
            if script is None:
                continue
            own = rf"[\p{{sc={script}}}\p{{scx={script}}}]"
            for k in np.flatnonzero(strong[start:end]).tolist():
                char = text[start + k]
                assert regex.match(cjk if script in CJK_GROUP else own, char), (text, char, script)


def test_fonts_chosen_have_the_characters(chain: FontChain) -> None:
    """Every visible character some font of the chain has is drawn with a font whose cmap (as
    fontTools reads it) has it; characters none has are reported missing."""
    for text in texts():
        cps, runs = itemized(chain, text)
        font_of = np.repeat(runs.font, runs.end - runs.start)
        for k, cp in enumerate(cps.tolist()):
            char = chr(cp)
            if char.isspace() or not regex.match(r"[\p{L}\p{N}\p{P}\p{S}]", char):
                continue
            if any(cp in cmap(font) for font in chain.fonts):
                assert cp in cmap(chain.fonts[font_of[k]]), (text, char, chain.fonts[font_of[k]].family)
            else:
                assert char in runs.missing, (text, char)


def test_marks_are_flagged_as_unicode_says(chain: FontChain) -> None:
    import unicodedata

    cps = np.arange(0x300, 0x3100, dtype=np.uint32)
    marks = (char_properties(cps) & (1 << 8)) != 0
    assert [unicodedata.category(chr(c))[0] == "M" for c in cps.tolist()] == marks.tolist()


@pytest.mark.skipif(c_library() is None, reason="this uharfbuzz build does not export HarfBuzz's C API")
def test_logical_order_reverses_each_right_to_left_run_as_harfbuzz_gave_it(chain: FontChain) -> None:
    text = "abc שָׁלוֹם עוֹלָם 123 مرحبا بالعالم (x) end"
    cps, runs = itemized(chain, text)
    shaper = Shaper(chain)
    items = shaper.items(runs)
    assert any(item.rtl for item in items)
    ours = shaper.harfbuzz.shape(Shaper.codepoints(text, cps), items, logical=True)
    reference = uharfbuzz_reference(Shaper.codepoints(text, cps), items)
    bounds = np.concatenate(([0], np.cumsum(reference.count))).tolist()
    for shaped in (ours, UharfbuzzShaper().shape(Shaper.codepoints(text, cps), items, logical=True)):
        assert shaped.count.tolist() == reference.count.tolist()
        for k, item in enumerate(items):
            part = slice(bounds[k], bounds[k + 1])
            order = slice(None, None, -1) if item.rtl else slice(None)
            assert shaped.gid[part].tolist() == reference.gid[part][order].tolist()
            assert shaped.cluster[part].tolist() == reference.cluster[part][order].tolist()


def test_numbers_and_separators_resolve_as_the_full_bidi_algorithm_does() -> None:
    """Weak types (W1–W7) on texts dense in numbers, separators and terminators, against
    python-bidi's implementation of the whole algorithm."""
    rng = random.Random(11)
    pieces = [
        "12",
        "٣٤",
        "۵",
        ",",
        ".",
        ":",
        "/",
        "+",
        "-",
        "%",
        "$",
        "#",
        "°",
        " ",
        "ا",
        "ב",
        "a",
        "\u064b",
        "\u00ad",
        "(",
        ")",
    ]
    for _ in range(300):
        text = "".join(rng.choice(pieces) for _ in range(rng.randrange(1, 25)))
        if not has_rtl(text):
            continue
        levels, _ = text_levels(text)
        assert np.array_equal(levels, reference_levels(text)[1]), text


@pytest.mark.parametrize("language", [None, "ko"])
def test_runs_are_the_same_whether_or_not_the_tables_knew_the_text(
    chain: FontChain, language: str | None
) -> None:
    """A text met for the first time is itemized from properties and fonts looked up for it
    (`itemize_pass`); met again, from the tables by the compiled pass itself (`itemize_known`).
    Both give the same runs, and the second way is taken for every text without emoji."""
    for text in texts():
        cps = codepoints(text)
        levels, _ = text_levels(text)
        itemizer = Itemizer(chain)
        first = itemizer.itemize(text, cps, levels, language)
        again = itemizer.itemize(text, cps, levels, language)
        for field in ("start", "end", "font", "level"):
            ours, theirs = getattr(first, field), getattr(again, field)
            assert ours.dtype == theirs.dtype and np.array_equal(ours, theirs), (text, field)
        assert (first.script, first.language, first.missing) == (
            again.script,
            again.language,
            again.missing,
        ), text
        known = itemize_known(
            _property_table(),
            _UNSEEN,
            itemizer._fonts,
            np.ascontiguousarray(cps, dtype=np.uint32),
            np.ascontiguousarray(levels, dtype=np.int8),
            itemizer._rules(language),
        )
        emoji = (char_properties(cps) & EMOJI).any()
        assert (known is None) == emoji, text


def test_symbols_are_marked_as_emoji_exactly_when_they_form_an_emoji_sequence() -> None:
    """Texts that may hold emoji take the chain's sequence-aware choice of fonts; among the
    symbols of U+2300-U+2BFF those are the ones `emoji_sequences` finds a sequence in (a
    pictograph), not box drawing or mathematical angle brackets."""
    from pixtok.render.fonts import emoji_sequences
    from pixtok.render.itemize import _EMOJI, char_properties

    symbols = np.arange(0x2300, 0x2C00, dtype=np.uint32)
    marked = (char_properties(symbols) & _EMOJI) != 0
    forms = np.asarray([bool(emoji_sequences(chr(cp))) for cp in symbols.tolist()])
    assert np.array_equal(marked, forms)
    assert marked.any() and not marked.all()


@pytest.mark.parametrize("user_fonts", [(), ("mono",), ("emoji", "DejaVu Sans")])
def test_font_of_every_bmp_code_point_is_the_one_the_chain_picks(user_fonts: tuple[str, ...]) -> None:
    """The Itemizer decides the fonts of the Basic Multilingual Plane in compiled passes, a block
    of code points at a time; each choice is the chain's own (`FontChain.font_index`, asked one
    character at a time)."""
    chain = FontChain.from_specs(user_fonts, fallback=True, system_fonts=False)
    itemizer = Itemizer(chain)
    some = np.random.default_rng(len(user_fonts)).integers(0, 0x10000, 300).astype(np.uint32)
    first = itemizer._fonts_of(some)  # some blocks decided first, the rest after
    table = itemizer._fonts_of(np.arange(0x10000, dtype=np.uint32))
    assert np.array_equal(first, table[some])
    reference = FontChain.from_specs(user_fonts, fallback=True, system_fonts=False)
    expected = np.array([reference.font_index(chr(cp)) for cp in range(0x10000)], dtype=np.int32)
    assert np.flatnonzero(table != expected).tolist() == []
    assert len(np.unique(expected)) >= 8  # many fonts chosen: the rule, not a default, is checked


KANA_BLOCKS = regex.compile(
    r"[\p{Block=Hiragana}\p{Block=Katakana}\p{Block=Katakana_Phonetic_Extensions}\uFF66-\uFF9F]"
)
HANGUL_BLOCKS = regex.compile(
    r"[\p{Block=Hangul_Jamo}\p{Block=Hangul_Compatibility_Jamo}\p{Block=Hangul_Syllables}"
    r"\p{Block=Hangul_Jamo_Extended_A}\p{Block=Hangul_Jamo_Extended_B}]"
)


def languages_stated_plainly(text: str, fonts: list[int]) -> list[str]:
    """Each character's language by the inference rule, from Unicode's Script_Extensions and
    the font each character is drawn in (`fonts`): a character takes the script of the nearest
    letter in its paragraph drawn in its own font (before it, else after), with none the script
    of the nearest letter (before it, else after); a Han, kana or Hangul one takes its
    paragraph's language (with kana, by the Unicode blocks: Japanese, else with Hangul: Korean,
    else the document's: Japanese with kana anywhere, else Korean with Hangul anywhere, else
    Traditional Chinese if more of its characters are in the Traditional-only list than in
    the Simplified-only one, else Simplified Chinese); a newline takes the language of the
    nearest other character before it, else after it."""
    paragraphs = text.split("\n")
    kana = [bool(KANA_BLOCKS.search(p)) for p in paragraphs]
    hangul = [bool(HANGUL_BLOCKS.search(p)) for p in paragraphs]
    simplified, traditional = han_forms()
    more_traditional = sum(c in traditional for c in text) > sum(c in simplified for c in text)
    chinese = "zh-Hant" if more_traditional else "zh-Hans"
    document = "ja" if any(kana) else "ko" if any(hangul) else chinese
    cjk = regex.compile(r"[\p{scx=Han}\p{scx=Hira}\p{scx=Kana}\p{scx=Hang}]")
    codes: list[str | None] = []  # None: a newline, decided below
    offset = 0
    for k, paragraph in enumerate(paragraphs):
        own = "ja" if kana[k] else "ko" if hangul[k] else document
        letters = [i for i, c in enumerate(paragraph) if regex.match(r"\p{L}", c)]
        for i in range(len(paragraph)):
            font = fonts[offset + i]
            in_own_font = [j for j in letters if fonts[offset + j] == font]
            candidates = in_own_font or letters
            before = [j for j in candidates if j <= i]
            near = before[-1] if before else next((j for j in candidates if j > i), None)
            codes.append(own if near is not None and cjk.match(paragraph[near]) else "")
        codes.append(None)
        offset += len(paragraph) + 1
    codes.pop()  # the text does not end with a newline the split made
    others = [(i, c) for i, c in enumerate(codes) if c is not None]
    out = []
    for i, code in enumerate(codes):
        if code is None:
            before = [c for j, c in others if j < i]
            code = before[-1] if before else next((c for j, c in others if j > i), "")
        out.append(code)
    return out


PIECES = [
    "한국어",
    "텍스트",
    "日本語",
    "中文",
    "這個",  # written only in Traditional Chinese
    "國",
    "们说",  # written only in Simplified Chinese
    "ひらがな",
    "カタ",
    "ー",
    "text",
    " ",
    "。",
    "12",
    "\n",
    "\n\n",
]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(PIECES), min_size=1, max_size=14))
def test_inferred_languages_follow_the_rule_stated_plainly(pieces: list[str]) -> None:
    text = "".join(pieces)
    if not text.strip():
        return
    chain = FontChain.from_specs((), fallback=True, system_fonts=False)
    _, runs = itemized(chain, text)
    sizes = (runs.end - runs.start).tolist()
    ours = [lang for lang, size in zip(runs.language, sizes, strict=True) for _ in range(size)]
    fonts = [font for font, size in zip(runs.font.tolist(), sizes, strict=True) for _ in range(size)]
    assert ours == languages_stated_plainly(text, fonts), text
