"""Compositing against FreeType's own bitmaps.

Each page is drawn again here from scratch: every glyph the render placed is loaded and
rendered by freetype-py (its own `Face.load_glyph`, not pixtok's atlas), and its bitmap is
laid at the glyph's box with numpy, the strongest coverage winning where glyphs overlap. The
compiled compositing must give the very same pages, and the same share of ink off the page.
"""

from __future__ import annotations

from pathlib import Path

import freetype
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pixtok import RenderConfig, Renderer, RenderResult
from pixtok.render import _composite

CORPUS = Path(__file__).resolve().parents[1] / "corpus"


def freetype_pages(renderer: Renderer, result: RenderResult) -> tuple[list[np.ndarray], float]:
    """(coverage of every page, ink off the pages / all ink) drawn from FreeType's bitmaps."""
    faces: dict[int, freetype.Face] = {}
    coverage = [np.zeros(p.shape[:2], dtype=np.uint8) for p in result.pages]
    outside = total = 0
    g = result.glyphs
    for i in range(len(g)):
        font = int(g.font[i])
        if font not in faces:
            spec = renderer.chain.fonts[font]
            faces[font] = freetype.Face(str(spec.path), spec.index)
            faces[font].set_char_size(round(result.font_size_px * 64), 0, 72, 72)
        face = faces[font]
        face.load_glyph(int(g.glyph_id[i]), freetype.FT_LOAD_DEFAULT)
        face.glyph.render(freetype.FT_RENDER_MODE_NORMAL)
        bitmap = face.glyph.bitmap
        rows, width, pitch = bitmap.rows, bitmap.width, abs(bitmap.pitch)
        if not rows or not width:
            continue
        pixels = np.asarray(bitmap.buffer, dtype=np.uint8).reshape(rows, pitch)[:, :width]
        assert (g.x1[i] - g.x0[i], g.y1[i] - g.y0[i]) == (width, rows)
        page = coverage[int(g.page[i])]
        x0, y0 = int(g.x0[i]), int(g.y0[i])
        top, left = max(y0, 0), max(x0, 0)
        bottom, right = min(y0 + rows, page.shape[0]), min(x0 + width, page.shape[1])
        total += int(pixels.sum())
        if bottom <= top or right <= left:
            outside += int(pixels.sum())
            continue
        visible = pixels[top - y0 : bottom - y0, left - x0 : right - x0]
        outside += int(pixels.sum()) - int(visible.sum())
        np.maximum(page[top:bottom, left:right], visible, out=page[top:bottom, left:right])
    return coverage, outside / total if total else 0.0


def corpus_text(name: str, chars: int) -> str:
    return (CORPUS / name).read_text(encoding="utf-8")[:chars]


CASES = {
    # Several pages composited in one batch.
    "english, three pages": (
        corpus_text("en_prose_debian-reference.txt", 3000),
        RenderConfig.from_preset("page-1024", page="400x300", size="14px"),
    ),
    # Marks stacked on their bases and conjuncts overlapping: the strongest coverage wins.
    "hindi": (
        corpus_text("hi_prose_libreoffice-help.txt", 600),
        RenderConfig.from_preset("page-1024", page="500x400"),
    ),
    "persian, right to left": (
        corpus_text("fa_prose_gnome-help.txt", 600),
        RenderConfig.from_preset("page-1024", page="500x400"),
    ),
    "chinese, cropped pages": (corpus_text("zh-cn_prose_debian-reference.txt", 900), RenderConfig()),
    # Glyphs larger than the page: most of their ink falls off it.
    "clipped at every edge": (
        "WMQ gjy ÅÉ",
        RenderConfig(layout="page", page="60x30", size="40px", margin="0px"),
    ),
    "pixel strips": (corpus_text("en_prose_debian-reference.txt", 400), RenderConfig.from_preset("pixel")),
}


@pytest.mark.parametrize("case", list(CASES))
def test_pages_equal_freetype_bitmaps_laid_at_the_glyph_boxes(case: str) -> None:
    text, config = CASES[case]
    renderer = Renderer(config)
    result = renderer.render(text)
    coverage, clipped = freetype_pages(renderer, result)
    for number, (page, ink) in enumerate(zip(result.pages, coverage, strict=True)):
        expected = 255 - ink
        if config.layout == "strip":  # PIXEL's black end patch, one patch after the text, is no glyph
            columns = np.flatnonzero((page != expected).any(axis=0))
            if len(columns):
                start = columns[0] - columns[0] % config.patch_size
                assert columns[-1] < start + config.patch_size
                assert (page[:, start : start + config.patch_size] == 0).all()
                expected[:, start : start + config.patch_size] = 0
        assert np.array_equal(page, expected), f"page {number + 1} differs from FreeType's bitmaps"
    assert result.clipped_ink == pytest.approx(clipped, abs=1e-6)
    if case == "clipped at every edge":
        assert result.clipped_ink > 0.2


def test_colour_pages_blend_the_same_coverage() -> None:
    """Coloured text on a coloured page: each channel blends the FreeType coverage between the
    two colours, as Pillow converts (rounded), so the coverage under the colours is the same."""
    text = corpus_text("en_prose_debian-reference.txt", 500)
    config = RenderConfig(color_mode="RGB", foreground="#204080", background="#ffffff", page="400x300")
    renderer = Renderer(config)
    result = renderer.render(text)
    coverage, _ = freetype_pages(renderer, result)
    for page, ink in zip(result.pages, coverage, strict=True):
        for channel, (fg, bg) in enumerate(((0x20, 0xFF), (0x40, 0xFF), (0x80, 0xFF))):
            expected = (bg * 255 + (fg - bg) * ink.astype(np.int32) + 127) // 255
            assert np.array_equal(page[..., channel], expected.astype(np.uint8))


def test_a_repeat_draws_the_same_pages_from_kept_pixels() -> None:
    """The third drawing of a text presses the pixels kept from the second: same bytes."""
    text = corpus_text("en_prose_debian-reference.txt", 2500)
    renderer = Renderer(RenderConfig.from_preset("page-1024", page="400x300"))
    first = renderer.render(text).pages
    again = [renderer.render(text).pages for _ in range(3)]
    for pages in again:
        assert len(pages) == len(first) > 1
        assert all(np.array_equal(a, b) for a, b in zip(first, pages, strict=True))


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=0, max_value=2**32 - 1), st.booleans())
def test_glyph_rows_of_every_width_are_drawn_as_numpy_draws_them(seed: int, dark: bool) -> None:
    """Rows are drawn in overlapping vector steps (8 and 16 bytes); whatever a row's width
    (0-40 px) and however a glyph is cut by the page's edges, the page equals numpy's minimum
    (`dark`: of 255 less coverage) or maximum of the page as it was and each glyph's pixels."""
    rng = np.random.default_rng(seed)
    glyphs = int(rng.integers(1, 12))
    width, height = rng.integers(0, 41, glyphs), rng.integers(0, 6, glyphs)
    start = np.concatenate(([0], np.cumsum(width * height)[:-1])).astype(np.int64)
    bitmaps = rng.integers(0, 256, int((width * height).sum())) * (
        rng.random(int((width * height).sum())) < 0.7
    )
    bitmaps = bitmaps.astype(np.uint8)
    count = np.array(
        [np.count_nonzero(bitmaps[a : a + n]) for a, n in zip(start, width * height, strict=True)]
    )
    page_h, page_w = int(rng.integers(1, 30)), int(rng.integers(1, 60))
    n = int(rng.integers(0, 20))
    slots = rng.integers(0, glyphs, n)
    left, top = rng.integers(-45, page_w + 5, n), rng.integers(-8, page_h + 3, n)
    page = rng.integers(0, 256, (page_h, page_w)).astype(np.uint8)
    expected = page.copy()
    for slot, x, y in zip(slots, left, top, strict=True):
        bitmap = bitmaps[start[slot] : start[slot] + width[slot] * height[slot]].reshape(
            height[slot], width[slot]
        )
        y0, y1, x0, x1 = max(y, 0), min(y + height[slot], page_h), max(x, 0), min(x + width[slot], page_w)
        if y0 >= y1 or x0 >= x1:
            continue
        part, drawn = bitmap[y0 - y : y1 - y, x0 - x : x1 - x], expected[y0:y1, x0:x1]
        expected[y0:y1, x0:x1] = np.minimum(drawn, 255 - part) if dark else np.maximum(drawn, part)
    ink = page.reshape(-1).copy()
    _composite.composite(
        ink, page_h, page_w, slots, left, top, np.zeros(0, dtype=np.int64),
        start, count.astype(np.int64), width, height, bitmaps, dark, False,
    )  # fmt: skip
    np.testing.assert_array_equal(ink.reshape(page_h, page_w), expected)
