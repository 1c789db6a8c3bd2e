"""Properties every rendering must have, checked on real text from the test corpus.

Where the input space is large (words, sizes, margins, alignment) hypothesis draws it; the
corpus supplies the words, so the scripts are real. Every property is read off the pixels or
off the glyph layout `render` returns, never off the code that produced them.
"""

from __future__ import annotations

import math
import unicodedata
from functools import cache
from pathlib import Path

import numpy as np
import pytest
import uharfbuzz as hb
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pixtok import RenderConfig, Renderer, RenderResult, render
from pixtok.output_files import png_bytes

CORPUS_DIR = Path(__file__).resolve().parents[1] / "corpus"

# Corpus files by script, for drawing words.
SCRIPT_FILES = {
    "latin": "en_prose_debian-reference.txt",
    "cyrillic": "ru_prose_debian-faq.txt",
    "arabic": "fa_prose_gnome-help.txt",
    "hebrew": "he_msgstr_gnome-gnu.txt",
    "devanagari": "hi_prose_libreoffice-help.txt",
    "chinese": "zh-cn_prose_debian-reference.txt",
    "japanese": "ja_prose_debian-reference.txt",
    "korean": "ko_prose_gnome-help.txt",
}
PROPERTY_SETTINGS = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)


@cache
def corpus(name: str) -> str:
    return (CORPUS_DIR / name).read_text(encoding="utf-8")


@cache
def words(script: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(corpus(SCRIPT_FILES[script]).split()))


def ink(page: np.ndarray) -> np.ndarray:
    """Coverage of a black-on-white grey page: 0 where blank, up to 255 where fully inked."""
    assert page.ndim == 2
    return 255 - page


def visible(char: str) -> bool:
    """A character that must leave ink: not a space, not a control or format character."""
    return not char.isspace() and unicodedata.category(char) not in ("Cc", "Cf", "Zl", "Zp")


@st.composite
def corpus_texts(draw, scripts=tuple(SCRIPT_FILES), max_words: int = 40) -> str:
    """Paragraphs of real words of one or two scripts, separated by spaces and newlines."""
    chosen = draw(st.lists(st.sampled_from(scripts), min_size=1, max_size=2, unique=True))
    count = draw(st.integers(1, max_words))
    parts: list[str] = []
    for i in range(count):
        parts.append(draw(st.sampled_from(words(draw(st.sampled_from(chosen))))))
        if i < count - 1:
            parts.append(draw(st.sampled_from([" ", " ", " ", " ", "\n"])))
    return "".join(parts)


def line_rows(result: RenderResult, line: int) -> tuple[int, slice]:
    """Page and pixel rows of a line's box (top margin + row x line height)."""
    g = result.geometry
    page = int(result.line_page[line])
    row = line - int(np.flatnonzero(result.line_page == page)[0])
    top = g.margins[0] + row * g.line_height
    return page, slice(math.floor(top), math.ceil(top + g.line_height))


def line_box(result: RenderResult) -> tuple[float, float]:
    """Ascent and descent in px of the fonts a result used, from their HarfBuzz font extents."""
    extents = []
    for font in result.fonts:
        face = hb.Face(hb.Blob.from_file_path(font["path"]), int(font["index"]))
        metrics = hb.Font(face).get_font_extents("ltr")
        extents.append((metrics.ascender / face.upem, -metrics.descender / face.upem))
    size = result.font_size_px
    return max(a for a, _ in extents) * size, max(d for _, d in extents) * size


def ink_columns(page: np.ndarray, rows: slice) -> np.ndarray:
    return np.flatnonzero(ink(page)[rows].max(axis=0) > 0)


# -- margins and ink ---------------------------------------------------------------------------


@PROPERTY_SETTINGS
@given(
    text=corpus_texts(),
    size=st.integers(8, 28),
    ratio=st.sampled_from([1.2, 1.35, 1.5, 2.0]),
    margin=st.integers(2, 40),
    align=st.sampled_from(["start", "left", "right", "center", "justify"]),
    width=st.integers(160, 420),
)
def test_no_ink_outside_the_margins(
    text: str, size: int, ratio: float, margin: int, align: str, width: int
) -> None:
    """With lines at least 1.2 x the size apart, ink stays inside the margins, give or take what
    fonts themselves put outside a glyph's box.

    Sideways, fonts let some outlines reach past their advance box (DejaVu Sans 'J' starts
    0.052 em left of its pen position; among the letters of the test corpus none reaches
    further than 0.06 em), and every text engine places the pen, not the outline, at the
    margin: a side margin may hold at most 0.06 em + 1 px of ink (rounding, antialiasing), and
    only from a glyph whose box crosses the margin line. Vertically, Devanagari vowel signs
    above the headline reach under a pixel past the font's ascent: one faint row is allowed.
    """
    config = RenderConfig(
        page=f"{width}x300", size=f"{size}px", line_height=str(ratio), margin=f"{margin}px", align=align
    )
    result = render(text, config)
    top, right, bottom, left = (round(m) for m in result.geometry.margins)
    allowance = math.ceil(0.06 * size) + 1
    g = result.glyphs
    for index, page in enumerate(result.pages):
        coverage = ink(page)
        height, page_width = coverage.shape
        assert coverage[: max(top - 1, 0)].max(initial=0) == 0, f"ink in the top margin of page {index}"
        assert coverage[height - bottom + 1 :].max(initial=0) == 0, f"ink in the bottom margin of {index}"
        assert coverage[:, : max(left - allowance, 0)].max(initial=0) == 0
        assert coverage[:, page_width - right + allowance :].max(initial=0) == 0
        on_page = g.page == index
        if coverage[:, :left].any():
            assert (g.x0[on_page] < left).any() and (g.x1[on_page] > left).any()
        if coverage[:, page_width - right :].any():
            assert (g.x1[on_page] > page_width - right).any()


@pytest.mark.parametrize("size", [16, 40])
def test_arabic_descenders_stay_inside_the_margins(size: int) -> None:
    """Noto Naskh Arabic reaches 1.07 em up and 0.63 em down, far past DejaVu Sans: the lines'
    box must come from the fonts the text uses, or descenders fall into the bottom margin."""
    phrase = "في الذي"  # from ar_msgstr_gtk20-properties.txt; final ي descends deepest
    assert phrase in corpus("ar_msgstr_gtk20-properties.txt")
    text = f"{phrase}\n" * 30
    result = render(text, RenderConfig(page="400x300", size=f"{size}px", margin="10px"))
    assert result.page_count > 1
    for page in result.pages:
        coverage = ink(page)
        assert coverage[:10].max() == 0 and coverage[-10:].max() == 0


def clusters(result: RenderResult, text: str) -> dict[int, tuple[int, int]]:
    """Each drawn cluster: its first character offset -> (visible characters it spans, glyphs).

    A cluster runs from a glyph's `char_offset` to the next offset any glyph carries; ligatures
    (DejaVu's fi, fl) and Indic conjuncts make clusters of several characters."""
    offsets = np.unique(result.glyphs.char_offset)
    glyph_counts = np.bincount(np.searchsorted(offsets, result.glyphs.char_offset), minlength=len(offsets))
    bounds = [*offsets.tolist(), len(text)]
    return {
        start: (sum(map(visible, text[start:end])), int(count))
        for start, end, count in zip(bounds[:-1], bounds[1:], glyph_counts, strict=True)
    }


@pytest.mark.parametrize("script", list(SCRIPT_FILES))
def test_every_visible_character_leaves_ink(script: str) -> None:
    """Every glyph box of a visible character holds ink on its page, and every visible
    character belongs to a cluster that left some."""
    text = corpus(SCRIPT_FILES[script])[:2500]
    result = render(text, RenderConfig(page="600x600", size="14px"))
    g = result.glyphs
    inked: set[int] = set()
    for i in range(len(g)):
        offset = int(g.char_offset[i])
        if not visible(text[offset]) or g.x1[i] <= g.x0[i]:
            continue
        box = ink(result.pages[g.page[i]])[max(g.y0[i], 0) : g.y1[i], max(g.x0[i], 0) : g.x1[i]]
        assert box.any(), f"glyph {i} for {text[offset]!r} at offset {offset} is blank"
        inked.add(offset)
    starts = np.unique(g.char_offset)
    owner = starts[np.searchsorted(starts, np.arange(len(text)), side="right") - 1]
    missing = [i for i, c in enumerate(text) if visible(c) and int(owner[i]) not in inked]
    assert not missing, f"characters without ink: {[text[i] for i in missing[:10]]}"


# -- pages and offsets -------------------------------------------------------------------------


@PROPERTY_SETTINGS
@given(
    text=corpus_texts(max_words=120),
    cuts=st.lists(st.floats(0.05, 1.0), min_size=2, max_size=4),
    layout=st.sampled_from(["page", "crop"]),
)
def test_more_text_never_means_fewer_pages(text: str, cuts: list[float], layout: str) -> None:
    renderer = Renderer(RenderConfig(page="220x160", size="12px", layout=layout))
    lengths = sorted({max(1, round(c * len(text))) for c in cuts})
    prefixes = [text[:n] for n in lengths if text[:n].strip()]
    counts = [renderer.render(p).page_count for p in prefixes]
    assert counts == sorted(counts), list(zip(lengths, counts, strict=False))


@pytest.mark.parametrize("script", ["latin", "cyrillic", "chinese", "korean"])
def test_char_offset_points_to_the_character_drawn(script: str) -> None:
    """Where a cluster is one letter or digit drawn by one glyph, that glyph is the font's glyph
    for text[char_offset] (its cmap entry): offsets name the characters drawn, not neighbours.

    Punctuation is left out: in a Chinese run Noto Sans CJK draws ASCII quotes in a form for the
    run's language (its `locl` and contextual forms), not the cmap's glyph."""
    text = corpus(SCRIPT_FILES[script])[:3000]
    result = render(text, RenderConfig(page="500x500", size="13px"))
    g = result.glyphs
    chain_fonts = Renderer(result.config).chain.fonts
    spans = clusters(result, text)
    compared = 0
    for i in range(len(g)):
        char = text[g.char_offset[i]]
        if not char.isalnum() or spans[int(g.char_offset[i])] != (1, 1):
            continue  # a ligature or a cluster of several glyphs: no one-to-one glyph to expect
        font = chain_fonts[g.font[i]]
        nominal = font.hb_font.get_nominal_glyph(ord(char))
        assert nominal is not None, f"{font.family} lacks {char!r} yet drew it"
        assert int(g.glyph_id[i]) == nominal, (i, char, font.family)
        compared += 1
    assert compared > 0.7 * sum(map(visible, text))


def test_char_offsets_survive_tabs_crlf_and_markers() -> None:
    text = "ab\r\n\tcd\tef\r\ngh"
    for newlines in ("keep", "space", "marker"):
        result = render(text, RenderConfig(page="400x200", newlines=newlines))
        drawn = "".join(text[o] for o in result.glyphs.char_offset if visible(text[o]))
        assert drawn == "abcdefgh", newlines
        assert result.line_char_span[-1, 1] == len(text)
        assert result.line_char_span[0, 0] == 0


def test_line_spans_tile_the_text() -> None:
    text = corpus(SCRIPT_FILES["latin"])[:4000]
    result = render(text, RenderConfig(page="300x300", size="12px"))
    spans = result.line_char_span
    assert spans[0, 0] == 0 and spans[-1, 1] == len(text)
    assert np.array_equal(spans[1:, 0], spans[:-1, 1])
    # Each page's span holds exactly the glyphs drawn on it.
    g = result.glyphs
    for page in range(result.page_count):
        start, end = result.page_char_span(page)
        offsets = g.char_offset[g.page == page]
        assert offsets.min() >= start and offsets.max() < end
    joined = "".join(text[slice(*result.page_char_span(p))] for p in range(result.page_count))
    assert joined == text


# -- determinism --------------------------------------------------------------------------------


def test_rendering_twice_gives_identical_bytes() -> None:
    text = corpus(SCRIPT_FILES["arabic"])[:1500] + "\n" + corpus(SCRIPT_FILES["chinese"])[:800]
    config = RenderConfig(page="400x400", size="13px")
    first = render(text, config)
    second = Renderer(config).render(text)  # a fresh renderer: cold shaping and glyph caches
    assert len(first.pages) == len(second.pages) > 1
    for a, b in zip(first.pages, second.pages, strict=True):
        assert png_bytes(a) == png_bytes(b)
    for name in ("page", "x0", "y0", "x1", "y1", "char_offset", "glyph_id"):
        assert np.array_equal(getattr(first.glyphs, name), getattr(second.glyphs, name))


@pytest.mark.parametrize(
    "options",
    [{}, {"color_mode": "RGB", "foreground": "#203040", "background": "#fff8e0"}, {"layout": "crop"}],
    ids=["grey", "colour", "crop"],
)
def test_repeats_draw_the_first_pages_again(options: dict[str, str]) -> None:
    """A text drawn again reuses its layout, and from the third time the pixels its glyphs left:
    every repeat gives the bytes a fresh renderer gives, pages of many batches included."""
    text = (corpus(SCRIPT_FILES["chinese"])[:600] + "\n") * 12
    config = RenderConfig(page="300x240", size="13px", **options)
    fresh = Renderer(config).render(text)
    assert len(fresh.pages) > 16  # more than one batch of pages
    renderer = Renderer(config)
    for _ in range(4):
        again = renderer.render(text)
        assert len(again.pages) == len(fresh.pages)
        for a, b in zip(again.pages, fresh.pages, strict=True):
            assert np.array_equal(a, b)


def test_fresh_process_writes_byte_identical_files(run_cli, tmp_path: Path) -> None:
    source = tmp_path / "mixed.txt"
    source.write_text(
        corpus(SCRIPT_FILES["hebrew"])[:400] + "\n" + corpus(SCRIPT_FILES["devanagari"])[:400],
        encoding="utf-8",
    )
    outputs: dict[str, list[bytes]] = {}
    for label, fresh in (("here", False), ("fresh", True)):
        folder = tmp_path / label
        folder.mkdir()
        for target in ("page-{page:02d}.png", "pages.npy"):
            result = run_cli(
                "render",
                source,
                "--preset",
                "page-1024",
                "--page",
                "300x300",
                "-o",
                folder / target,
                fresh_process=fresh,
            )
            assert result.exit_code == 0, result.stderr
        outputs[label] = [p.read_bytes() for p in sorted(folder.iterdir())]
    assert len(outputs["here"]) >= 3
    assert outputs["here"] == outputs["fresh"]


# -- alignment -----------------------------------------------------------------------------------


@pytest.mark.parametrize("script", ["arabic", "hebrew"])
def test_rtl_paragraphs_align_right_at_their_start(script: str) -> None:
    paragraphs = [p for p in corpus(SCRIPT_FILES[script]).split("\n") if len(p) > 20][:6]
    latin = corpus(SCRIPT_FILES["latin"]).split("\n")[4]
    text = "\n".join([*paragraphs, latin])
    config = RenderConfig.from_preset("page-1024", page="500x800", size="14px", margin="20px")
    result = render(text, config)
    g = result.geometry
    text_right = g.width - g.margins[1]
    lefts, rights = [], []
    for line in range(result.lines):
        page, rows = line_rows(result, line)
        cols = ink_columns(result.pages[page], rows)
        if len(cols):
            lefts.append(int(cols[0]))
            rights.append(int(cols[-1]) + 1)
    latin_lines = np.flatnonzero(result.line_char_span[:, 0] >= text.index(latin))
    rtl_lines = [i for i in range(len(rights)) if i not in set(latin_lines.tolist())]
    assert all(abs(rights[i] - text_right) <= 2 for i in rtl_lines), [rights[i] for i in rtl_lines]
    # Short RTL lines leave room on the left; the Latin paragraph starts at the left margin.
    assert any(lefts[i] > g.margins[3] + 40 for i in rtl_lines)
    assert all(abs(lefts[i] - g.margins[3]) <= 2 for i in latin_lines)


@pytest.mark.parametrize("script", ["latin", "arabic"])
def test_justify_fills_every_line_but_the_last(script: str) -> None:
    paragraph = max(corpus(SCRIPT_FILES[script]).split("\n"), key=len)[:900]
    config = RenderConfig.from_preset(
        "page-1024", page="360x900", size="14px", align="justify", margin="20px"
    )
    result = render(paragraph, config)
    g = result.geometry
    assert result.lines >= 4
    left, right = g.margins[3], g.width - g.margins[1]
    for line in range(result.lines):
        page, rows = line_rows(result, line)
        cols = ink_columns(result.pages[page], rows)
        if line < result.lines - 1:
            assert abs(cols[0] - left) <= 2 and abs(cols[-1] + 1 - right) <= 2, (line, cols[0], cols[-1])
    # The last line of the paragraph is not stretched: its glyphs sit where start alignment puts them.
    plain = render(paragraph, result.config.replace(align="start"))
    assert plain.lines == result.lines
    last_start = result.line_char_span[-1, 0]
    on_last = result.glyphs.char_offset >= last_start
    assert np.array_equal(on_last, plain.glyphs.char_offset >= last_start)
    assert np.array_equal(result.glyphs.x0[on_last], plain.glyphs.x0[on_last])
    assert not np.array_equal(result.glyphs.x0[~on_last], plain.glyphs.x0[~on_last])


def test_alignments_place_lines_where_they_say() -> None:
    text = "short line\n" + " ".join(words("latin")[:60])
    lines = {}
    for align in ("left", "right", "center"):
        result = render(text, RenderConfig(page="400x400", size="14px", align=align, margin="20px"))
        page, rows = line_rows(result, 0)
        cols = ink_columns(result.pages[page], rows)
        lines[align] = (int(cols[0]), int(cols[-1]) + 1)
    assert abs(lines["left"][0] - 20) <= 2
    assert abs(lines["right"][1] - 380) <= 2
    assert abs((lines["center"][0] + lines["center"][1]) / 2 - 200) <= 2
    widths = {k: b - a for k, (a, b) in lines.items()}
    assert max(widths.values()) - min(widths.values()) <= 1


# -- layout modes ----------------------------------------------------------------------------------


@PROPERTY_SETTINGS
@given(text=corpus_texts(max_words=80), width=st.integers(150, 400), size=st.integers(9, 20))
def test_crop_is_the_page_layout_cut_to_its_content(text: str, width: int, size: int) -> None:
    base = RenderConfig(page=f"{width}x200", size=f"{size}px")
    full = render(text, base)
    crop = render(text, base.replace(layout="crop"))
    assert crop.page_count == full.page_count
    widths = {p.shape[1] for p in crop.pages}
    assert len(widths) == 1 and widths.pop() <= width
    for index, (cut, page) in enumerate(zip(crop.pages, full.pages, strict=True)):
        h, w = cut.shape
        assert np.array_equal(cut, page[:h, :w])
        assert ink(page)[h:].max(initial=0) == 0 and ink(page)[:, w:].max(initial=0) == 0
        if index < crop.page_count - 1:
            assert h == 200
    # The last page ends one descent below its last baseline, plus the bottom margin; the first
    # baseline sits one ascent below the top margin (ascent and descent of the fonts used).
    last_lines = int((crop.line_page == crop.page_count - 1).sum())
    g = crop.geometry
    ascent, descent = line_box(crop)
    expected = math.ceil(g.margins[0] + ascent + (last_lines - 1) * g.line_height + descent + g.margins[2])
    assert crop.pages[-1].shape[0] == min(200, expected)


def test_crop_shrinks_a_short_text() -> None:
    result = render("A few words.", RenderConfig(layout="crop", page="a4", size="16px", margin="10px"))
    height, width = result.pages[0].shape
    ascent, descent = line_box(result)
    assert width < 200 and height == math.ceil(10 + ascent + descent + 10)
    assert ink(result.pages[0])[: 10 + 1].max() == 0 and ink(result.pages[0])[-10:].max() == 0


def test_fit_puts_everything_on_one_page_at_the_largest_size() -> None:
    text = corpus(SCRIPT_FILES["latin"])[:700]
    sizes = []
    for side in (200, 260, 320, 420, 520):
        config = RenderConfig(layout="fit", page=f"{side}x{side}", line_height="1.2")
        result = render(text, config)
        assert result.page_count == 1 and result.pages[0].shape == (side, side)
        assert tuple(result.line_char_span[[0, -1], [0, 1]]) == (0, len(text))
        size = result.font_size_px
        sizes.append(size)
        # The same size as a page layout gives the same page; a quarter pixel more overflows.
        same = render(text, config.replace(layout="page", size=f"{size}px"))
        assert same.page_count == 1 and np.array_equal(same.pages[0], result.pages[0])
        bigger = render(text, config.replace(layout="page", size=f"{size + 0.25}px"))
        assert bigger.page_count > 1
    assert sizes == sorted(sizes) and sizes[0] < sizes[-1]


@PROPERTY_SETTINGS
@given(text=corpus_texts(max_words=30), small=st.integers(120, 400), grow=st.integers(0, 300))
def test_fit_a_bigger_page_never_gives_a_smaller_size(text: str, small: int, grow: int) -> None:
    a = render(text, RenderConfig(layout="fit", page=f"{small}x{small}"))
    b = render(text, RenderConfig(layout="fit", page=f"{small + grow}x{small + grow // 2}"))
    assert b.font_size_px >= a.font_size_px


def test_strip_layout_ends_with_a_black_patch_right_after_the_text() -> None:
    text = "The quick brown fox jumps over the lazy dog."
    result = render(text, RenderConfig.from_preset("pixel"))
    assert [p.shape for p in result.pages] == [(16, 8464)]
    page = result.pages[0]
    patches = page.reshape(16, 529, 16).transpose(1, 0, 2)  # (patch, row, col)
    black = [i for i in range(529) if (patches[i] == 0).all()]
    assert len(black) == 1
    end = black[0]
    text_cols = ink_columns(page[:, : end * 16], slice(None))
    assert text_cols[0] < 16, "text starts in the first patch"
    # The end patch is the first patch after the last inked one: never a blank patch between.
    gap = end * 16 - (int(text_cols[-1]) + 1)
    assert 0 <= gap < 16, gap
    assert ink(page)[:, (end + 1) * 16 :].max() == 0, "nothing after the end patch"


def test_strip_layout_spreads_long_text_over_several_strips() -> None:
    text = corpus(SCRIPT_FILES["latin"])[:6000]
    result = render(text, RenderConfig.from_preset("pixel"))
    assert result.page_count >= 2
    assert all(p.shape == (16, 8464) for p in result.pages)
    for page in result.pages:
        black = [i for i in range(529) if (page[:, i * 16 : (i + 1) * 16] == 0).all()]
        assert len(black) == 1
    joined = "".join(text[slice(*result.page_char_span(p))] for p in range(result.page_count))
    assert joined == text


# -- newlines and tabs ---------------------------------------------------------------------------


def test_newline_marker_mode_draws_the_marker() -> None:
    text = "first line\nsecond line"
    config = RenderConfig(page="400x100", size="16px")
    kept = render(text, config)
    marked = render(text, config.replace(newlines="marker"))
    spaced = render(text, config.replace(newlines="space"))
    assert kept.lines == 2 and marked.lines == 1 and spaced.lines == 1
    newline = text.index("\n")
    g = marked.glyphs
    at_newline = np.flatnonzero(g.char_offset == newline)
    assert len(at_newline) == 1
    i = int(at_newline[0])
    marker_font = Renderer(marked.config).chain.fonts[g.font[i]]
    assert g.glyph_id[i] == marker_font.hb_font.get_nominal_glyph(ord("↵"))
    assert ink(marked.pages[0])[g.y0[i] : g.y1[i], g.x0[i] : g.x1[i]].any()
    # With `space` the newline is a space: no glyph is drawn for it, and the line is narrower.
    assert newline not in set(spaced.glyphs.char_offset[spaced.glyphs.x1 > spaced.glyphs.x0].tolist())
    assert ink_columns(marked.pages[0], slice(None))[-1] > ink_columns(spaced.pages[0], slice(None))[-1]


def test_custom_newline_marker() -> None:
    result = render("a\nb", RenderConfig(page="200x60", newlines="marker", newline_marker="¶"))
    chain = Renderer(result.config).chain.fonts
    g = result.glyphs
    assert [int(g.glyph_id[i]) for i in range(len(g)) if g.char_offset[i] == 1] == [
        chain[g.font[i]].hb_font.get_nominal_glyph(ord("¶")) for i in range(len(g)) if g.char_offset[i] == 1
    ]


@pytest.mark.parametrize("tab_size", [2, 4, 8])
def test_tabs_in_a_monospaced_font_are_columns_of_spaces(tab_size: int) -> None:
    """Tab stops every N spaces: in a monospaced font that is what expanding tabs to columns
    gives (Python's str.expandtabs is the reference)."""
    text = "a\tbc\tdef\tg\nabcd\tx"
    expanded = text.expandtabs(tab_size)
    config = RenderConfig(page="400x80", tab_size=tab_size, fonts=("DejaVu Sans Mono",), fallback=False)
    tabbed, spaced = render(text, config), render(expanded, config)
    assert np.array_equal(tabbed.pages[0], spaced.pages[0])
    assert render(text, config.replace(tab_size=tab_size + 1)).pages[0].tobytes() != tabbed.pages[0].tobytes()


def test_tab_stops_line_up_columns_in_a_proportional_font() -> None:
    """In DejaVu Sans (proportional) the second column starts at one x on every row, however wide
    the first column's words are, as long as they end before the same stop."""
    rows = ["1\tX one", "22\tX two", "WWW\tX three", "iii\tX four"]
    result = render("\n".join(rows), RenderConfig(page="400x200", tab_size=16))
    text = "\n".join(rows)
    g = result.glyphs
    after_tabs = [i + 1 for i, c in enumerate(text) if c == "\t"]
    starts = {int(x) for o, x in zip(g.char_offset, g.x0, strict=True) if o in after_tabs}
    assert len(starts) == 1, starts
    # A first column wider than one stop moves to the next stop, not by a fixed amount.
    wide = render("WWWWWWWWWW\tx\ny\tz", RenderConfig(page="600x200", tab_size=2))
    wg = wide.glyphs
    wtext = "WWWWWWWWWW\tx\ny\tz"
    x_of = {wtext[o]: int(x) for o, x in zip(wg.char_offset, wg.x0, strict=True) if wtext[o] in "xz"}
    assert x_of["x"] > x_of["z"]


def test_tab_stops_given_as_a_length() -> None:
    """--tab-size 48px puts stops 48 px apart from the start of the text area: a glyph after one
    tab lands where the same glyph lands with a 48 px indent."""
    config = RenderConfig(page="300x60", margin="10px", tab_size="48px")
    tabbed = render("ab\tX", config)
    indented = render("X", config.replace(indent="48px"))
    x_tab = int(tabbed.glyphs.x0[tabbed.glyphs.char_offset == 3][0])
    assert x_tab == int(indented.glyphs.x0[0])


def test_crlf_is_a_newline() -> None:
    config = RenderConfig(page="300x100")
    crlf, lf = render("one\r\ntwo\rthree", config), render("one\ntwo\nthree", config)
    assert crlf.lines == 3 and np.array_equal(crlf.pages[0], lf.pages[0])


def test_a_newline_before_an_indented_line_still_breaks() -> None:
    text = "def f():\n    return 1"
    result = render(text, RenderConfig(page="300x100"))
    assert result.lines == 2
    assert result.line_char_span.tolist() == [[0, 9], [9, len(text)]]
    # The indentation is kept: "return" starts four spaces to the right of "def".
    g = result.glyphs
    first = {text[o]: int(x) for o, x in zip(g.char_offset, g.x0, strict=True) if text[o] in "dr"}
    assert first["r"] > first["d"] + 15


def test_words_wrap_at_spaces() -> None:
    text = " ".join(w for w in words("latin")[:300] if len(w) < 20)
    result = render(text, RenderConfig(page="300x2000", size="12px"))
    assert result.lines > 5
    for line in range(result.lines - 1):
        start, end = (int(v) for v in result.line_char_span[line])
        # Lines end after a space, or after the hyphen of a hyphenated word ("5.10.0-6-").
        assert text[end - 1] in " -" and text[end] != " ", text[start:end]
