"""The compiled glyph-box loops (`pixtok.render._glyph_boxes`, `_composite.clipped_ink`) against
the numpy statements of the same rules, on generated slot tables, glyphs and pages: the slot of
each (font, glyph) in tables of several fonts laid end to end, bitmap boxes from rounded pens
(half to even), the right edge of each line, and the ink that falls off pages of given sizes.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pixtok import RenderConfig, Renderer
from pixtok.render import _composite, _glyph_boxes
from pixtok.render.raster import GlyphAtlas

seeds = st.integers(min_value=0, max_value=2**32 - 1)


def slot_tables(rng: np.random.Generator) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    """Per-font slot tables (-1: not drawn), and the same end to end with each font's start."""
    tables = [
        np.where(rng.random(n) < 0.6, rng.integers(0, 500, n), -1).astype(np.int64)
        for n in rng.integers(1, 40, rng.integers(1, 5))
    ]
    start = np.concatenate(([0], np.cumsum([len(t) for t in tables]))).astype(np.int64)
    return tables, np.concatenate(tables), start


#: No index: every glyph's slot, in order (with picked False).
NO_INDEX = np.zeros(0, dtype=np.int64)


@settings(max_examples=200, deadline=None)
@given(seeds)
def test_find_slots_reads_each_fonts_own_table(seed: int) -> None:
    rng = np.random.default_rng(seed)
    tables, table, start = slot_tables(rng)
    n = int(rng.integers(0, 60))
    # Glyphs of fonts with a table, and some of a font that has none yet.
    font = rng.integers(0, len(tables) + 1, n).astype(np.int32)
    sizes = np.array([len(t) for t in tables] + [10])
    gid = (rng.random(n) * sizes[font]).astype(np.int32)
    slots = np.empty(n, dtype=np.int64)
    missing = _glyph_boxes.find_slots(font, gid, False, NO_INDEX, table, start, slots)
    expected = np.full(n, -1, dtype=np.int64)
    for f, t in enumerate(tables):
        expected[font == f] = t[gid[font == f]]
    np.testing.assert_array_equal(slots, expected)
    assert missing == int((expected < 0).sum())
    # The slots of some of the glyphs (none, in any order, some twice), picked by their index.
    if n:
        index = rng.integers(0, n, int(rng.integers(0, 2 * n + 1))).astype(np.int64)
        picked = np.empty(len(index), dtype=np.int64)
        assert _glyph_boxes.find_slots(font, gid, True, index, table, start, picked) == int(
            (expected[index] < 0).sum()
        )
        np.testing.assert_array_equal(picked, expected[index])


@settings(max_examples=200, deadline=None)
@given(seeds)
def test_new_glyphs_are_the_distinct_undrawn_pairs_by_font_then_glyph_id(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(0, 80))
    font = rng.integers(0, 4, n).astype(np.int32)
    gid = rng.integers(0, rng.choice([3, 70_000]), n).astype(np.int32)
    picked = bool(rng.integers(0, 2)) and n > 0
    index = rng.integers(0, n, int(rng.integers(0, 2 * n + 1))).astype(np.int64) if picked else NO_INDEX
    slots = np.where(rng.random(len(index) if picked else n) < 0.5, -1, 7).astype(np.int64)
    fonts, bounds, ids = _glyph_boxes.new_glyphs(font, gid, picked, index, slots)
    chosen = index[slots < 0] if picked else np.flatnonzero(slots < 0)
    expected = sorted({(int(font[k]), int(gid[k])) for k in chosen})
    got = [(f, int(g)) for j, f in enumerate(fonts) for g in ids[bounds[j] : bounds[j + 1]]]
    assert got == expected
    assert fonts == sorted(set(fonts)) and bounds[-1] == len(ids)


def test_find_slots_refuses_glyphs_beyond_their_font() -> None:
    table, start = np.zeros(5, dtype=np.int64), np.array([0, 3, 5], dtype=np.int64)
    slots = np.empty(1, dtype=np.int64)
    # A glyph past its font, a negative one, an index past the glyphs, a negative index.
    cases = ((0, 3, NO_INDEX), (1, -1, NO_INDEX), (0, 1, np.array([1])), (0, 1, np.array([-1])))
    for font, gid, index in cases:
        fonts, gids = np.array([font], np.int32), np.array([gid], np.int32)
        with pytest.raises(IndexError):
            _glyph_boxes.find_slots(fonts, gids, len(index) > 0, index, table, start, slots)


@settings(max_examples=200, deadline=None)
@given(seeds)
def test_glyph_boxes_round_pens_half_to_even(seed: int) -> None:
    rng = np.random.default_rng(seed)
    glyphs = int(rng.integers(1, 30))
    left, top = rng.integers(-5, 6, glyphs), rng.integers(-3, 20, glyphs)
    width, height = rng.integers(0, 15, glyphs), rng.integers(0, 20, glyphs)
    n = int(rng.integers(0, 80))
    slots = rng.integers(0, glyphs, n)
    # Pens on and near half pixels, where rounding half to even and half up differ.
    x = rng.integers(-40, 400, n) / 2 + rng.choice([0.0, 1e-9, -1e-9], n)
    baseline = rng.integers(-40, 400, n) / 2
    boxes = _glyph_boxes.glyph_boxes(slots, x, baseline, left, top, width, height)
    np.testing.assert_array_equal(boxes[0], np.rint(x).astype(np.int64) + left[slots])
    np.testing.assert_array_equal(boxes[1], np.rint(baseline).astype(np.int64) - top[slots])
    np.testing.assert_array_equal(boxes[2], width[slots])
    np.testing.assert_array_equal(boxes[3], height[slots])


@settings(max_examples=200, deadline=None)
@given(seeds, st.booleans())
def test_line_right_is_the_largest_right_edge_of_each_line(seed: int, inked_only: bool) -> None:
    rng = np.random.default_rng(seed)
    n_lines = int(rng.integers(1, 10))
    n = int(rng.integers(0, 60))
    line = np.sort(rng.integers(0, n_lines, n))
    left = rng.random(n) * 300 - 20
    width = np.where(rng.random(n) < 0.2, 0.0, rng.random(n) * 30)
    initial = float(rng.integers(0, 20))
    expected = np.full(n_lines, initial)
    counted = width > 0 if inked_only else np.ones(n, dtype=bool)
    np.maximum.at(expected, line[counted], (left + width)[counted])
    np.testing.assert_array_equal(
        _glyph_boxes.line_right(line, left, width, n_lines, initial, inked_only), expected
    )


def clipped_by_numpy(
    slots: np.ndarray,
    left: np.ndarray,
    top: np.ndarray,
    page_w: np.ndarray,
    page_h: np.ndarray,
    bitmaps: list[np.ndarray],
) -> tuple[int, int]:
    """Ink off the page of each glyph (its own page size given), and all ink, pixel by pixel."""
    outside = total = 0
    for i, slot in enumerate(slots):
        pixels = bitmaps[slot].astype(np.int64)
        h, w = pixels.shape
        ys, xs = np.mgrid[top[i] : top[i] + h, left[i] : left[i] + w]
        off = (ys < 0) | (ys >= page_h[i]) | (xs < 0) | (xs >= page_w[i])
        outside += int(pixels[off].sum())
        total += int(pixels.sum())
    return outside, total


@settings(max_examples=150, deadline=None)
@given(seeds)
def test_clipped_ink_counts_the_ink_off_each_glyphs_page(seed: int) -> None:
    rng = np.random.default_rng(seed)
    bitmaps = [
        rng.integers(0, 256, (int(rng.integers(0, 6)), int(rng.integers(0, 6)))).astype(np.uint8)
        for _ in range(int(rng.integers(1, 8)))
    ]
    h = np.array([b.shape[0] for b in bitmaps], dtype=np.int64)
    w = np.array([b.shape[1] for b in bitmaps], dtype=np.int64)
    start = np.concatenate(([0], np.cumsum(w * h)[:-1])).astype(np.int64)
    ink = np.array([int(b.sum()) for b in bitmaps], dtype=np.int64)
    pool = np.concatenate([b.ravel() for b in bitmaps])
    n, n_pages = int(rng.integers(0, 30)), int(rng.integers(1, 4))
    slots = rng.integers(0, len(bitmaps), n)
    left, top = rng.integers(-6, 20, n), rng.integers(-6, 20, n)
    page = rng.integers(0, n_pages, n)
    page_w, page_h = rng.integers(1, 16, n_pages), rng.integers(1, 16, n_pages)
    tables = (start, w, h, ink, pool)
    expected = clipped_by_numpy(slots, left, top, page_w[page], page_h[page], bitmaps)
    assert _composite.clipped_ink(slots, left, top, page, page_w, page_h, *tables) == expected


def test_atlas_slots_number_new_glyphs_by_font_then_glyph_id() -> None:
    """Glyphs new to the atlas get slots font by font, each font's in glyph id order, whatever
    order the text meets them in, and the same pair always has the same slot."""
    renderer = Renderer(RenderConfig(fonts=("DejaVu Sans", "Noto Sans CJK SC")))
    atlas = GlyphAtlas(renderer.chain.fonts, 12.0)
    font = np.array([1, 0, 1, 0, 0, 1], dtype=np.int32)
    gid = np.array([900, 40, 30, 12, 40, 900], dtype=np.int32)
    slots = atlas.slots(font, gid)
    np.testing.assert_array_equal(slots, [3, 1, 2, 0, 1, 3])
    again = atlas.slots(np.array([0, 1, 0], dtype=np.int32), np.array([7, 900, 12], dtype=np.int32))
    np.testing.assert_array_equal(again, [4, 3, 0])
    boxes = atlas.boxes(slots, np.array([0.5, 1.5, 2.5, -0.5, 3.0, 4.49]), np.full(6, 10.5))
    a = atlas.arrays()
    np.testing.assert_array_equal(boxes.left, np.array([0, 2, 2, 0, 3, 4]) + a["left"][slots])
    np.testing.assert_array_equal(boxes.top, 10 - a["top"][slots])


def test_renderer_keeps_one_atlas_per_size_to_a_ten_thousandth_px() -> None:
    """Sizes a fit search reaches by arithmetic (16.00001 for 16) draw from the atlas of the
    size they round to, and sizes in whole 1/8 px, found without rounding, have their own."""
    renderer = Renderer(RenderConfig())
    atlas = renderer.atlas(16.0)
    assert renderer.atlas(16) is atlas
    assert renderer.atlas(16.00001) is atlas
    assert renderer.atlas(15.99999) is atlas
    assert renderer.atlas(16.125) is not atlas
    assert renderer.atlas(16.125).size_px == 16.125
    assert renderer.atlas(16.00001).size_px == 16.0
