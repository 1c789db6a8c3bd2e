# cython: language_level=3
"""Glyph pixels into pages, one loop per call.

The glyph atlas (`raster.GlyphAtlas`) keeps the non-zero pixels of every glyph it has drawn
as flat pools: `dy`, `dx` (the pixel's place in the glyph's bitmap) and `val` (its coverage),
with each glyph's first pixel `start` and pixel `count`. These functions walk the pixels of
placed glyphs straight from the pools into pages, where the numpy version gathered them into
index arrays first: a page of text is some 800 glyphs of about 100 pixels each, and the fixed
cost of numpy's calls, not the pixels, was what a page cost.
"""

import numpy as np

from libc.stdint cimport int32_t, int64_t, uint8_t

ctypedef fused flat_index:
    int32_t
    int64_t


def composite(
    uint8_t[::1] ink,
    int64_t height,
    int64_t width,
    const int64_t[::1] slots,
    const int64_t[::1] left,
    const int64_t[::1] top,
    const int64_t[::1] page,
    const int64_t[::1] start,
    const int64_t[::1] count,
    const int32_t[::1] dy,
    const int32_t[::1] dx,
    const uint8_t[::1] val,
    bint dark,
    bint keep,
):
    """Draw glyph `i` (atlas slot `slots[i]`) with its top-left corner at (`left[i]`,
    `top[i]`) of page `page[i]` (an empty `page`: all on page 0) of the flat `ink` pages,
    `height` x `width` each. Where glyphs overlap the strongest coverage wins: the maximum of
    coverage, or with `dark` (`ink` holds 255 minus coverage: black text drawn in place on a
    white page) the minimum. Pixels outside their page are left out.

    Returns None, or with `keep` the (flat index, value) of every pixel drawn, in drawing
    order, which `press` draws again at the cost of the scatter alone.
    """
    cdef Py_ssize_t n = slots.shape[0]
    cdef Py_ssize_t i, p, total = 0
    cdef int64_t slot, x, y, base, page_size = height * width, first, last
    cdef uint8_t value
    cdef bint paged = page.shape[0] > 0
    if keep:
        for i in range(n):
            total += count[slots[i]]
    kept_flat = np.empty(total if keep else 0, dtype=np.int64)
    kept_val = np.empty(total if keep else 0, dtype=np.uint8)
    cdef int64_t[::1] flat_out = kept_flat
    cdef uint8_t[::1] val_out = kept_val
    cdef Py_ssize_t kept = 0
    with nogil:
        for i in range(n):
            slot = slots[i]
            first = start[slot]
            last = first + count[slot]
            base = page[i] * page_size if paged else 0
            for p in range(first, last):
                y = top[i] + dy[p]
                x = left[i] + dx[p]
                if y < 0 or y >= height or x < 0 or x >= width:
                    continue
                value = val[p]
                y = base + y * width + x
                if dark:
                    value = 255 - value
                    if value < ink[y]:
                        ink[y] = value
                elif value > ink[y]:
                    ink[y] = value
                if keep:
                    flat_out[kept] = y
                    val_out[kept] = value
                    kept += 1
    if not keep:
        return None
    return kept_flat[:kept], kept_val[:kept]


def press(uint8_t[::1] ink, const flat_index[::1] flat, const uint8_t[::1] values, bint dark):
    """Draw pixels kept by `composite(keep=True)` again into pages shaped as those they came from."""
    cdef Py_ssize_t i
    cdef int64_t at
    with nogil:
        for i in range(flat.shape[0]):
            at = flat[i]
            if dark:
                if values[i] < ink[at]:
                    ink[at] = values[i]
            elif values[i] > ink[at]:
                ink[at] = values[i]


def clipped_ink(
    const int64_t[::1] slots,
    const int64_t[::1] left,
    const int64_t[::1] top,
    const int64_t[::1] page_width,
    const int64_t[::1] page_height,
    const int64_t[::1] start,
    const int64_t[::1] count,
    const int64_t[::1] glyph_width,
    const int64_t[::1] glyph_height,
    const int64_t[::1] glyph_ink,
    const int32_t[::1] dy,
    const int32_t[::1] dx,
    const uint8_t[::1] val,
):
    """(coverage falling outside the pages, all coverage, whether every glyph box lies within
    its page) of placed glyphs; glyph `i` lies on a page `page_width[i]` x `page_height[i]` px
    (arrays of one value: every page has that size). Coverage is summed before glyphs overlap."""
    cdef Py_ssize_t n = slots.shape[0]
    cdef Py_ssize_t i, p
    cdef int64_t slot, w, h, x, y, outside = 0, total = 0
    cdef bint one_size = page_width.shape[0] == 1
    cdef bint inside = True
    with nogil:
        for i in range(n):
            slot = slots[i]
            total += glyph_ink[slot]
            w = page_width[0] if one_size else page_width[i]
            h = page_height[0] if one_size else page_height[i]
            if left[i] >= 0 and top[i] >= 0 and left[i] + glyph_width[slot] <= w and top[i] + glyph_height[slot] <= h:
                continue
            inside = False
            for p in range(start[slot], start[slot] + count[slot]):
                y = top[i] + dy[p]
                x = left[i] + dx[p]
                if y < 0 or y >= h or x < 0 or x >= w:
                    outside += val[p]
    return outside, total, inside
