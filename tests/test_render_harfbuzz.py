"""HarfBuzz read through its C API (ctypes on uharfbuzz's own extension module) against uharfbuzz.

Every run of every corpus text is shaped both ways, and by uharfbuzz's `hb.shape` as a caller
would use it; glyph ids, clusters, flags, advances and offsets must agree exactly. Where the C
API is not exported the engine falls back to uharfbuzz's objects and renders the same pages.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
from harfbuzz_reference import uharfbuzz_reference

from pixtok import RenderConfig, Renderer
from pixtok.render import harfbuzz
from pixtok.render.direction import text_levels
from pixtok.render.fonts import FontChain
from pixtok.render.harfbuzz import CShaper, GlyphRecords, Item, UharfbuzzShaper, c_library
from pixtok.render.itemize import Itemizer
from pixtok.render.shaping import Shaper
from pixtok.render.text import codepoints, prepare

CORPUS = sorted((Path(__file__).resolve().parents[1] / "corpus").glob("*.txt"))
FIELDS = ("gid", "cluster", "flags", "x_advance", "x_offset", "y_offset", "count")

pytestmark = pytest.mark.skipif(
    c_library() is None, reason="this uharfbuzz build does not export HarfBuzz's C API"
)


@pytest.fixture(scope="module")
def chain() -> FontChain:
    return FontChain.from_specs((), fallback=True, system_fonts=False)


def corpus_items(chain: FontChain, text: str) -> tuple[np.ndarray, list[Item]]:
    """The code points of a prepared corpus text and its runs, as the engine itemizes them."""
    prepared = prepare(text).text
    cps = codepoints(prepared)
    levels, _ = text_levels(prepared)
    runs = Itemizer(chain).itemize(prepared, cps, levels, None)
    return Shaper.codepoints(prepared), Shaper(chain).items(runs)


def assert_same(ours: GlyphRecords, theirs: GlyphRecords, what: str) -> None:
    for name in FIELDS:
        assert np.array_equal(getattr(ours, name), getattr(theirs, name)), f"{what}: {name} differ"


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.stem)
def test_c_api_and_uharfbuzz_give_identical_glyph_arrays(chain: FontChain, path: Path) -> None:
    cps, items = corpus_items(chain, path.read_text(encoding="utf-8"))
    assert items
    ours = CShaper(c_library()).shape(cps, items)
    assert len(ours) >= len(cps) // 2
    assert_same(ours, UharfbuzzShaper().shape(cps, items), f"{path.name}, fallback path")
    assert_same(ours, uharfbuzz_reference(cps, items), f"{path.name}, uharfbuzz's hb.shape")


def test_flags_mark_what_harfbuzz_marks_unsafe_to_break(chain: FontChain) -> None:
    """Arabic joins across letters: HarfBuzz marks clusters unsafe to break, and the arrays carry it."""
    text = "مرحبا بالعالم"
    cps, items = corpus_items(chain, text)
    ours = CShaper(c_library()).shape(cps, items)
    assert (ours.flags & harfbuzz.UNSAFE_TO_BREAK).any()
    assert_same(ours, uharfbuzz_reference(cps, items), text)


def test_a_piece_shaped_alone_has_no_context(chain: FontChain) -> None:
    """Shaping text[a:b] given alone is HarfBuzz shaping that string on its own."""
    text = "مرحبا بالعالم"
    cps, items = corpus_items(chain, text)
    piece = [item._replace(start=0, end=4) for item in items[:1]]
    alone = CShaper(c_library()).shape(cps[3:7], piece)
    assert_same(alone, uharfbuzz_reference(cps[3:7], piece), "piece")
    in_context = CShaper(c_library()).shape(cps, [item._replace(start=3, end=7) for item in items[:1]])
    assert not np.array_equal(alone.gid, in_context.gid), "the joining letters differ with context"


def test_unexported_c_api_falls_back_to_uharfbuzz(monkeypatch: pytest.MonkeyPatch) -> None:
    """Where uharfbuzz does not export HarfBuzz's C API, the engine reads uharfbuzz's objects and
    draws byte-identical pages."""
    text = (CORPUS[0].parent / "fa_prose_gnome-help.txt").read_text(encoding="utf-8")[:3000]
    config = RenderConfig(page="600x800")
    direct = Renderer(config).render(text)
    monkeypatch.setattr(harfbuzz, "c_library", lambda: None)
    fallback = Renderer(config)
    assert isinstance(fallback.shaper.harfbuzz, UharfbuzzShaper)
    result = fallback.render(text)
    assert len(result.pages) == len(direct.pages)
    for ours, theirs in zip(result.pages, direct.pages, strict=True):
        assert np.array_equal(ours, theirs)
    assert np.array_equal(result.glyphs.glyph_id, direct.glyphs.glyph_id)
    assert np.array_equal(result.glyphs.char_offset, direct.glyphs.char_offset)


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.stem)
def test_shaping_runs_whole_equals_shaping_their_items(chain: FontChain, path: Path) -> None:
    """`shape_runs` reads the runs' columns whole; its glyphs are those of the runs' items,
    right-to-left runs in HarfBuzz's order or in logical order alike."""
    prepared = prepare(path.read_text(encoding="utf-8")).text
    cps = codepoints(prepared)
    runs = Itemizer(chain).itemize(prepared, cps, text_levels(prepared)[0], None)
    items = Shaper(chain).items(runs)
    for logical in (False, True):
        ours = CShaper(c_library()).shape_runs(Shaper.codepoints(prepared), runs, chain.fonts, logical)
        assert_same(ours, CShaper(c_library()).shape(Shaper.codepoints(prepared), items, logical), path.name)
        fallback = UharfbuzzShaper().shape_runs(Shaper.codepoints(prepared), runs, chain.fonts, logical)
        assert_same(ours, fallback, f"{path.name}, fallback path")


@pytest.mark.parametrize("text", ["\u0344" * 300, "ำ" * 150 + "abc" + "\u0344" * 150])
def test_texts_of_more_glyphs_than_characters_keep_every_glyph(chain: FontChain, text: str) -> None:
    """U+0344 decomposes into two marks and Thai SARA AM into two glyphs: the columns grow past
    the room a glyph per character gives, and every glyph is HarfBuzz's own."""
    cps, items = corpus_items(chain, text)
    ours = CShaper(c_library()).shape(cps, items)
    assert len(ours) > len(text) + 64
    assert_same(ours, uharfbuzz_reference(cps, items), "decomposed text")


def test_one_shaper_follows_the_fonts_it_is_given(chain: FontChain) -> None:
    """`shape_runs` keeps each font's hb_font_t per font list: runs indexing another list of
    fonts (of the same length, in another order) are shaped with those fonts."""
    text = "abc אבג"
    prepared = prepare(text).text
    cps = codepoints(prepared)
    runs = Itemizer(chain).itemize(prepared, cps, text_levels(prepared)[0], None)
    shaper = CShaper(c_library())
    ours = shaper.shape_runs(Shaper.codepoints(prepared), runs, chain.fonts)
    swapped = [chain.fonts[1], chain.fonts[0], *chain.fonts[2:]]
    swap = np.arange(len(chain.fonts), dtype=runs.font.dtype)
    swap[[0, 1]] = [1, 0]
    moved = dataclasses.replace(runs, font=swap[runs.font])
    again = shaper.shape_runs(Shaper.codepoints(prepared), moved, swapped)
    assert_same(ours, again, "the same fonts, indexed in another list")
