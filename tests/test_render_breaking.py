"""Line breaking against ICU: every line of a rendered text ends where ICU's UAX #14 line break
iterator (icu4py) allows a break, or, inside a word wider than the line, at one of ICU's
grapheme cluster boundaries; lines tile the text and are as full as they can be. Also: CJK
justification, and renders that used to crash on overflow.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import numpy as np
import pytest
from icu4py.breakers import CharacterBreaker, LineBreaker

from pixtok import RenderConfig, Renderer, RenderResult, render

CORPUS_DIR = Path(__file__).resolve().parents[1] / "corpus"
# language -> (corpus file, BCP 47 tag, characters taken)
TEXTS = {
    "english": ("en_prose_debian-reference.txt", "en", 2500),
    "japanese": ("ja_prose_debian-reference.txt", "ja", 1500),
    "chinese": ("zh-cn_prose_debian-reference.txt", "zh-Hans", 1200),
    "korean": ("ko_prose_gnome-help.txt", "ko", 1500),
    "hindi": ("hi_prose_libreoffice-help.txt", "hi", 1500),
    "thai": ("th_wiki_openoffice.txt", "th", 2404),
    # GTK 3's messages (tests/texts/README.md): the corpus has no text in these scripts.
    "bengali": ("bn_msgstr_gtk30.txt", "bn", 2109),
    "tamil": ("ta_msgstr_gtk30.txt", "ta", 1828),
    "malayalam": ("ml_msgstr_gtk30.txt", "ml", 2213),
    "armenian": ("hy_msgstr_gtk30.txt", "hy", 1957),
    "georgian": ("ka_msgstr_gtk30.txt", "ka", 1728),
    "greek": ("el_msgstr_gtk30.txt", "el", 2046),
    "uyghur": ("ug_msgstr_gtk30.txt", "ug", 1623),
    # Drawn by an installed font (fonts-noto-core): no bundled font has these scripts.
    "odia": ("or_msgstr_gtk30.txt", "or", 1943),
    "sinhala": ("si_msgstr_gtk30.txt", "si", 996),
    "burmese": ("my_msgstr_gtk30.txt", "my", 1798),
}
WIDTHS = [90, 150, 230, 370, 600]
TEXTS_DIR = Path(__file__).resolve().parent / "texts"


@cache
def corpus(name: str) -> str:
    """A text of the corpus, or of tests/texts where the corpus has none in its script."""
    path = CORPUS_DIR / name
    return (path if path.is_file() else TEXTS_DIR / name).read_text(encoding="utf-8")


def offsets(text: str, segments: object) -> set[int]:
    """ICU's segment ends (UTF-16 offsets) as string offsets."""
    units = np.cumsum([0] + [2 if ord(c) > 0xFFFF else 1 for c in text])
    position = {int(u): i for i, u in enumerate(units)}
    return {position[end] for _, end in segments}  # type: ignore[attr-defined]


@cache
def icu_breaks(text: str, locale: str) -> frozenset[int]:
    return frozenset(offsets(text, LineBreaker(text, locale.replace("-", "_")).segments()))


def graphemes(text: str) -> set[int]:
    return offsets(text, CharacterBreaker(text, "").segments())


def check_lines(result: RenderResult, text: str, locale: str) -> int:
    """Lines tile the text; each ends at an ICU opportunity, or at a grapheme boundary of a line
    that holds no opportunity (a piece of an over-long word). Returns the lines checked."""
    spans = result.line_char_span
    assert spans[0, 0] == 0 and spans[-1, 1] == len(text)
    assert np.array_equal(spans[1:, 0], spans[:-1, 1]), "lines tile the text"
    allowed = icu_breaks(text, locale)
    bounds = graphemes(text)
    for start, end in spans[:-1].tolist():
        if end in allowed:
            continue
        assert end in bounds, (text[start:end], "ends inside a grapheme cluster")
        inside = [b for b in allowed if start < b < end]
        assert not inside, (text[start:end], "broke a word although an opportunity was free")
    return len(spans)


@pytest.mark.parametrize("language", list(TEXTS))
def test_lines_end_at_icu_opportunities(language: str) -> None:
    file, tag, chars = TEXTS[language]
    text = corpus(file)[:chars]
    checked = 0
    for width in WIDTHS:
        result = render(text, RenderConfig(page=f"{width}x4000", size="14px", margin="8px", lang=tag))
        checked += check_lines(result, text, tag)
    assert checked > 50


@pytest.mark.parametrize(("file", "locale", "widths"), [
    ("th_wiki_openoffice.txt", "th", (200, 270, 330, 480)),
    ("my_msgstr_gtk30.txt", "my", (200, 270, 330)),
])  # fmt: skip
def test_lines_without_spaces_break_only_at_icu_dictionary_opportunities(
    file: str, locale: str, widths: tuple[int, ...]
) -> None:
    """Thai writes no spaces between words, Burmese only between phrases: every line end is one
    of ICU's dictionary breaks (with no language given: ICU finds the words by their script),
    and many lines end between words, not at a space. (At 200 px and wider no word of these
    texts is wider than a line; narrower, `test_lines_end_at_icu_opportunities` covers it.)"""
    text = corpus(file)
    allowed = icu_breaks(text, locale)
    between_words = 0
    for width in widths:
        result = render(text, RenderConfig(page=f"{width}x4000", size="16px", margin="6px"))
        assert result.missing_glyphs == 0
        for start, end in result.line_char_span[:-1].tolist():
            assert end in allowed, text[start:end]
            between_words += text[end - 1] not in " \n"
    assert between_words > 20


@pytest.mark.parametrize("language", ["english", "japanese", "thai"])
def test_lines_are_as_full_as_they_can_be(language: str) -> None:
    """The greedy rule: a line that ends at an opportunity before its paragraph ends would not
    fit its text up to the next opportunity (rendered alone at the same width, that takes two
    lines)."""
    file, tag, chars = TEXTS[language]
    text = corpus(file)[: chars // 2]
    config = RenderConfig(page="260x4000", size="14px", margin="8px", lang=tag)
    renderer = Renderer(config)
    result = renderer.render(text)
    allowed = sorted(icu_breaks(text, tag))
    for start, end in result.line_char_span[:-1].tolist():
        if text[end - 1] == "\n" or text[start:end].count("\n"):
            continue
        following = next((b for b in allowed if b > end), None)
        if following is None or "\n" in text[end:following]:
            continue
        longer = text[start:following].strip()
        if text[start] == " " or not longer:
            continue
        assert renderer.render(longer).lines > 1, (text[start:end], text[end:following])


def test_kinsoku_no_ellipsis_or_closing_mark_starts_a_line() -> None:
    """Kinsoku from ICU: no closing bracket, ideographic comma or full stop, ellipsis, prolonged
    sound mark or small kana begins a line (at widths where every unbreakable piece fits)."""
    text = "これは「日本語」のテキストです。……次の行へ続く文章、そして終わり。" * 4
    forbidden = "、。」）…ーぁぃぅぇぉっゃゅょ"
    for width in range(80, 320, 7):
        result = render(text, RenderConfig(page=f"{width}x2000", size="16px", margin="4px", lang="ja"))
        for start, _ in result.line_char_span[1:].tolist():
            assert text[start] not in forbidden, (width, text[start : start + 6])


def test_a_word_wider_than_the_line_breaks_between_graphemes() -> None:
    word = "Donaudampfschifffahrtsgesellschaftskapitänsmütze"
    decomposed = word.replace("ä", "a\u0308").replace("ü", "u\u0308")
    result = render(decomposed, RenderConfig(page="120x400", size="16px", margin="4px"))
    assert result.lines > 2 and result.overflow_clusters == 0
    bounds = graphemes(decomposed)
    assert all(end in bounds for _, end in result.line_char_span[:-1].tolist())


@pytest.mark.parametrize("width", [48, 200, 700])
def test_an_unbroken_word_is_cut_where_the_whole_words_graphemes_say(width: int, monkeypatch) -> None:
    """A word wider than many lines is cut by looking for grapheme boundaries a little past each
    line's width, not over the rest of the word: every cut equals the one the whole word's
    boundaries (icu4py's iterator over all of it) give, and every line ends at one of them."""
    from pixtok.render import layout

    rng = np.random.default_rng(width)
    # Letters and marks only: UAX #14 gives no break opportunity anywhere inside the word.
    pieces = ["e\u0301", "\u0915\u094d\u0937\u093f", "a", "W", "\u0438\u0306", "o" + "\u0308" * 40]
    word = "".join(pieces[i] for i in rng.integers(0, len(pieces), 3000))
    cuts: list[tuple[int, int]] = []
    cut_in_windows = layout._inside_word

    def checked(text, facts, positions, s, c, avail):
        got = cut_in_windows(text, facts, positions, s, c, avail)
        ends = np.asarray(_icu4py_ends(text[s:c], CharacterBreaker, ""), dtype=np.int64) + s
        ends = ends[(ends > s) & facts.boundary[ends]]
        fits = ends[positions[ends] - positions[s] <= avail + 1e-6]
        cuts.append((got, c if not len(ends) else int(fits[-1]) if len(fits) else int(ends[0])))
        return got

    monkeypatch.setattr(layout, "_inside_word", checked)
    result = Renderer(RenderConfig(page=f"{width + 8}x4000", size="16px", margin="4px")).render(word)
    assert len(cuts) > 5 and all(got == want for got, want in cuts), cuts
    bounds = graphemes(word)
    assert all(end in bounds for _, end in result.line_char_span[:-1].tolist())


def test_newline_markers_are_break_opportunities() -> None:
    text = "first\nsecond\nthird"
    result = render(text, RenderConfig(page="90x300", size="16px", margin="4px", newlines="marker"))
    ends = [int(e) for _, e in result.line_char_span[:-1]]
    assert set(ends) <= {6, 13}


# -- justification -------------------------------------------------------------------------------


def ink_right(result: RenderResult, line: int) -> int:
    g = result.glyphs
    on_line = np.flatnonzero(
        (g.char_offset >= result.line_char_span[line, 0]) & (g.char_offset < result.line_char_span[line, 1])
    )
    inked = on_line[g.x1[on_line] > g.x0[on_line]]
    return int(g.x1[inked].max())


def test_cjk_lines_justify_between_characters() -> None:
    """Justified Chinese lines reach the right margin (the slack goes between characters, as CSS
    Text 3's inter-character justification does); start-aligned lines leave it ragged."""
    paragraph = max(corpus("zh-cn_prose_debian-reference.txt").split("\n"), key=len)[:400]
    config = RenderConfig(page="337x2000", size="16px", margin="20px", align="justify")
    justified, ragged = render(paragraph, config), render(paragraph, config.replace(align="start"))
    right = 337 - 20
    assert justified.lines == ragged.lines >= 5
    gaps, ragged_gaps = [], []
    for line in range(justified.lines - 1):
        last = paragraph[justified.line_char_span[line, 1] - 1]
        if not ("\u4e00" <= last <= "\u9fff"):
            continue  # punctuation ink sits left in its em box; judge lines ending in a Han character
        gaps.append(right - ink_right(justified, line))
        ragged_gaps.append(right - ink_right(ragged, line))
    assert gaps and max(gaps) <= 2, gaps
    assert max(ragged_gaps) > 4, ragged_gaps


def test_latin_lines_still_justify_at_spaces_only() -> None:
    paragraph = corpus("en_prose_debian-reference.txt").split("\n")[4][:500]
    config = RenderConfig(page="300x2000", size="14px", margin="10px", align="justify")
    justified, plain = render(paragraph, config), render(paragraph, config.replace(align="left"))
    g, p = justified.glyphs, plain.glyphs
    first_line = g.char_offset < justified.line_char_span[0, 1]
    # Within a word the gaps between letters are unchanged; only spaces grew.
    words = paragraph[: justified.line_char_span[0, 1]].split(" ")
    first_word = len(words[0])
    shift = (g.x0 - p.x0)[first_line][:first_word]
    assert np.all(shift == shift[0])
    assert (g.x0 - p.x0)[first_line].max() > 3


# -- overflow: placed, clipped, counted, never a crash ---------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["--size", "1200px"],
        ["--size", "2048px"],
        ["--margin", "511.99px"],
        ["--page", "10x30", "--margin", "0"],
        ["--letter-spacing", "60px", "--page", "100x100", "--size", "20px"],
        ["--line-height", "3000px"],
    ],
)
def test_overflowing_renders_finish_and_count_what_overflowed(
    run_cli, tmp_path: Path, args: list[str]
) -> None:
    out = tmp_path / "w.png"
    result = run_cli("render", "-", "--preset", "page-1024", *args, "-o", out, "--json", stdin="W")
    assert result.exit_code == 0 and result.exception is None, result.stderr
    (summary,) = json.loads(result.stdout)["records"]
    assert out.is_file() and summary["pages"] >= 1
    assert 0.0 <= summary["clipped_ink"] <= 1.0
    assert summary["overflow_clusters"] >= 0
    if args[0] in ("--margin", "--page", "--letter-spacing"):
        assert summary["overflow_clusters"] == 1, "the W is wider than the text area"
    if args[:2] == ["--size", "2048px"]:
        assert summary["clipped_ink"] > 0.1, "a 2048 px W does not fit a 1024 px page"


def test_ten_thousand_combining_marks() -> None:
    text = "a" + "\u0301" * 10_000 + " b"
    result = render(text, RenderConfig(page="400x400"))
    assert result.lines >= 1 and 0 < result.clipped_ink <= 1
    assert result.line_char_span[-1, 1] == len(text)


def test_thai_with_stacked_marks() -> None:
    text = "ก" + "\u0e49\u0e4a\u0e47\u0e34" * 200 + " ข" * 5
    result = render(text, RenderConfig(page="300x300"))
    assert result.missing_glyphs == 0 and result.line_char_span[-1, 1] == len(text)


def test_line_height_taller_than_the_page_gives_one_line_a_page() -> None:
    result = render("one two three", RenderConfig(page="200x100", size="16px", line_height="500px"))
    assert result.page_count == result.lines
    assert result.clipped_ink == 0.0, "the first baseline still sits one ascent below the margin"


def test_clipped_ink_is_zero_when_everything_fits_and_counts_what_does_not() -> None:
    text = corpus("en_prose_debian-reference.txt")[:600]
    assert render(text, RenderConfig(page="400x400")).clipped_ink == 0.0
    tight = render("Wg", RenderConfig(page="40x14", size="20px", margin="0", line_height="1"))
    assert 0 < tight.clipped_ink < 1


def test_pixel_strips_keep_all_devanagari_ink() -> None:
    """PIXEL renders 8 pt at 120 dpi (13.3 px) into 16 px strips; Noto Sans Devanagari's ink
    spans 19 rows at that size (matras and reph above the headline, u-matras below), so the
    strip centres the text's ink and shrinks the text until it fits: nothing is cut."""
    text = corpus("hi_prose_libreoffice-help.txt")
    result = render(text, RenderConfig.from_preset("pixel"))
    assert result.clipped_ink == 0.0
    assert result.font_size_px < 8 * 120 / 72
    english = render(corpus("en_prose_debian-reference.txt"), RenderConfig.from_preset("pixel"))
    assert english.clipped_ink == 0.0 and english.font_size_px == pytest.approx(8 * 120 / 72)


def _icu4py_ends(text: str, breaker: type, locale: str) -> list[int]:
    """icu4py's own segment ends, as string offsets."""
    if not text:
        return []
    clean = "".join("\ufffd" if 0xD800 <= ord(c) <= 0xDFFF else c for c in text)
    return sorted(offsets(clean, breaker(clean, locale).segments()))


@pytest.mark.parametrize(
    "name", sorted(p.name for p in [*CORPUS_DIR.glob("*.txt"), *TEXTS_DIR.glob("*.txt")])
)
def test_break_opportunities_equal_icu4py_iterator(name: str) -> None:
    """The boundaries read through ICU's C API are icu4py's own, for every corpus text, in the
    locales the engine passes (Thai and Japanese rules included), and for graphemes."""
    from pixtok.render.breaking import _ICU, grapheme_boundaries, line_break_opportunities

    assert _ICU is not None, "icu4py's wheel carries ICU's library: its C API is used"
    text = corpus(name)[:6000]
    for locale in ("", "ja", "zh_Hans", "th"):
        assert line_break_opportunities(text, locale).tolist() == _icu4py_ends(text, LineBreaker, locale)
    assert grapheme_boundaries(text).tolist() == _icu4py_ends(text, CharacterBreaker, "")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "a",
        "emoji 👩‍👩‍👧 and 𝕏 math, then 日本語。",
        "lone \ud800 surrogate \udfff here",
        "e\u0301 n\u0303 क्षि 🇺🇳🇫🇷",
        "\n\n  \t",
    ],
)
def test_break_opportunities_of_awkward_texts_equal_icu4py(text: str) -> None:
    from pixtok.render.breaking import grapheme_boundaries, line_break_opportunities

    assert line_break_opportunities(text).tolist() == _icu4py_ends(text, LineBreaker, "")
    assert grapheme_boundaries(text).tolist() == _icu4py_ends(text, CharacterBreaker, "")


def test_kept_iterators_give_each_new_text_its_own_boundaries() -> None:
    """ICU's iterators stay open between texts: a text after a longer one, another locale or
    kind in between, and texts broken on several threads at once all get icu4py's boundaries."""
    from concurrent.futures import ThreadPoolExecutor

    from pixtok.render.breaking import grapheme_boundaries, line_break_opportunities

    texts = [corpus(name)[:1500] for name in sorted(p.name for p in CORPUS_DIR.glob("*.txt"))]
    texts += ["short", "", "x" * 3, texts[0][:40]]
    expected = {
        (t, locale): _icu4py_ends(t, LineBreaker, locale) for t in texts for locale in ("", "ja", "th")
    }

    def check(order: list[str]) -> None:
        for text in order:
            for locale in ("", "ja", "th"):
                assert line_break_opportunities(text, locale).tolist() == expected[text, locale]
                assert grapheme_boundaries(text).tolist() == _icu4py_ends(text, CharacterBreaker, "")

    check(texts)
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(check, [texts, texts[::-1], texts[1::2], texts[::3]]))


def test_without_icus_c_api_icu4pys_iterator_gives_the_same_boundaries(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Where an icu4py build carries no ICU library to call, its own iterator is read: the
    boundaries, mapped to code point offsets, are those the C API gives."""
    from pixtok.render import breaking

    thai = corpus("th_wiki_openoffice.txt")[:800]
    family = "\U0001f469\u200d\U0001f469\u200d\U0001f467"
    texts = [f"emoji {family} and \U0001d54f math, 日本語。", "lone \ud800 x", thai]
    breaks = breaking.line_break_opportunities, breaking.grapheme_boundaries
    with_c_api = [(breaks[0](t, "th").tolist(), breaks[1](t).tolist()) for t in texts]
    monkeypatch.setattr(breaking, "_ICU", None)
    for text, (lines, graphemes) in zip(texts, with_c_api, strict=True):
        assert breaks[0](text, "th").tolist() == lines
        assert breaks[1](text).tolist() == graphemes


@pytest.mark.parametrize("text", ["a", "a\n", "\n", "ab\ncd", "ab\ncd\n\n", "\n\nx", "x\r\ny\u2028z"])
def test_forced_breaks_follow_every_newline_and_end_the_text_once(text: str) -> None:
    """Lines must start after each newline (U+000A) and at the end of the text, which is
    listed once even when the text ends with a newline."""
    from pixtok.render._breaks import forced_breaks
    from pixtok.render.text import codepoints

    expected = [i + 1 for i, char in enumerate(text) if char == "\n"]
    if not expected or expected[-1] != len(text):
        expected.append(len(text))
    assert forced_breaks(codepoints(text)).tolist() == expected


def _icu_hard_breaks(text: str) -> list[int]:
    """Offsets after which ICU's line iterator reports a mandatory break (rule status
    UBRK_LINE_HARD, 100-199), read through ICU's C API in the library icu4py carries."""
    import ctypes
    import re
    from pathlib import Path

    import icu4py

    folder = Path(icu4py.__file__).resolve().parent.parent / "icu4py.libs"
    paths = sorted(folder.glob("libicuuc*.so*"))
    if not paths:
        pytest.skip("this icu4py build carries no ICU library of its own to call")
    version = re.search(r"\.so\.(\d+)", paths[0].name)
    suffix = f"_{version.group(1)}" if version else ""
    icu = ctypes.CDLL(str(paths[0]))
    ubrk_open, ubrk_next = getattr(icu, f"ubrk_open{suffix}"), getattr(icu, f"ubrk_next{suffix}")
    ubrk_status, ubrk_close = getattr(icu, f"ubrk_getRuleStatus{suffix}"), getattr(icu, f"ubrk_close{suffix}")
    ubrk_open.restype = ctypes.c_void_p
    error_pointer = ctypes.POINTER(ctypes.c_int)
    ubrk_open.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_void_p, ctypes.c_int32, error_pointer]
    for function in (ubrk_next, ubrk_status, ubrk_close):
        function.argtypes = [ctypes.c_void_p]
    units = text.encode("utf-16-le")
    assert len(units) == 2 * len(text)  # the texts below stay in the Basic Multilingual Plane
    buffer = ctypes.create_string_buffer(units)
    error = ctypes.c_int(0)
    iterator = ubrk_open(2, b"en", buffer, len(text), ctypes.byref(error))
    assert error.value <= 0, error.value
    hard = []
    while (offset := ubrk_next(iterator)) != -1:
        if 100 <= ubrk_status(iterator) < 200:
            hard.append(offset)
    ubrk_close(iterator)
    return hard


@pytest.mark.parametrize(
    "text",
    [
        "one\ntwo",
        "one\r\ntwo\rthree",
        "line\u2028separator\u2029paragraph",
        "vertical\x0btab\x0cform feed\u0085next line",
        "日本語\u2028テキスト\r\n\r\nend",
    ],
)
def test_lines_start_where_icu_breaks_mandatorily(text: str) -> None:
    """Every mandatory break of UAX #14 (LF, CR, CR LF, VT, FF, NEL, U+2028, U+2029) starts a
    new line, and nothing else does on a page wide enough: the lines start where ICU's line
    iterator reports a hard break, in the user's offsets."""
    result = render(text, RenderConfig(page="4096x1024", layout="page"))
    starts = result.line_char_span[1:, 0].tolist()
    assert starts == [offset for offset in _icu_hard_breaks(text) if offset < len(text)]
