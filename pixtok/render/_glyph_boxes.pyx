# cython: language_level=3
"""Placed glyphs to the boxes their bitmaps take on pages, one loop per call.

The glyph atlas (`raster.GlyphAtlas`) numbers every glyph it has drawn with a slot, and keeps
per slot the bitmap's bearings and size. Which slot a glyph id of a font has is read from a
slot table per font; the tables of all fonts lie end to end in one array, font `f`'s from
`table_start[f]` to `table_start[f + 1]`, so one loop looks up the glyphs of texts drawn with
many fonts (Arabic or CJK text with Latin in it). A window of text is some 1,500 glyphs: numpy
took a mask and a gather per font and four gathers for the boxes, and the fixed cost of those
calls, not the glyphs, was what the step cost.
"""

import numpy as np

from libc.math cimport rint
from libc.stdint cimport int32_t, int64_t
from libc.stdlib cimport qsort


def find_slots(
    const int32_t[::1] font,
    const int32_t[::1] gid,
    bint picked,
    const int64_t[::1] index,
    const int64_t[::1] table,
    const int64_t[::1] table_start,
    int64_t[::1] slots,
):
    """Write the atlas slot of glyph `gid[k]` of font `font[k]`, k = `index[i]` when `picked`
    (else k = i, and `index` is not read), into `slots[i]`: -1 for a glyph not drawn yet, or of
    a font that has no table yet. Returns how many are -1."""
    cdef Py_ssize_t i, k, missing = 0, n = font.shape[0]
    cdef Py_ssize_t tables = table_start.shape[0] - 1
    cdef int64_t f, g, slot
    if gid.shape[0] != n or slots.shape[0] != (index.shape[0] if picked else n):
        raise ValueError("font and gid differ in length, or slots from the glyphs asked for")
    for i in range(slots.shape[0]):
        k = index[i] if picked else i
        if k < 0 or k >= n:
            raise IndexError(f"glyph {k} of {n}")
        f = font[k]
        g = gid[k]
        if f < 0 or g < 0:
            raise IndexError(f"no slot for glyph {g} of font {f}")
        if f >= tables:
            slot = -1
        elif g >= table_start[f + 1] - table_start[f]:
            raise IndexError(f"glyph {g} is beyond the glyphs of font {f}")
        else:
            slot = table[table_start[f] + g]
        slots[i] = slot
        missing += slot < 0
    return missing


def new_glyphs(
    const int32_t[::1] font,
    const int32_t[::1] gid,
    bint picked,
    const int64_t[::1] index,
    const int64_t[::1] slots,
):
    """The distinct glyphs with slot -1 (as `find_slots` wrote `slots` for the same arguments),
    sorted by font and then glyph id: (fonts, bounds, glyph ids), the ids of `fonts[j]` being
    `glyph_ids[bounds[j]:bounds[j + 1]]`. This order is the order glyphs are drawn in, so a
    text's glyphs always get the same slots."""
    cdef Py_ssize_t i, k, m = 0, n = slots.shape[0]
    keys_arr = np.empty(n, dtype=np.int64)
    cdef int64_t[::1] keys = keys_arr
    for i in range(n):
        if slots[i] < 0:
            k = index[i] if picked else i
            keys[m] = (<int64_t>font[k] << 32) | <int64_t>gid[k]
            m += 1
    if m > 1:
        qsort(&keys[0], m, sizeof(int64_t), _compare_keys)
    glyph_ids = np.empty(m, dtype=np.int64)
    cdef int64_t[::1] ids = glyph_ids
    fonts = []
    bounds = []
    cdef Py_ssize_t distinct = 0
    cdef int64_t f, last_font = -1
    for i in range(m):
        if i and keys[i] == keys[i - 1]:
            continue
        f = keys[i] >> 32
        if f != last_font:
            fonts.append(f)
            bounds.append(distinct)
            last_font = f
        ids[distinct] = keys[i] & 0xFFFFFFFF
        distinct += 1
    bounds.append(distinct)
    return fonts, bounds, glyph_ids[:distinct]


cdef int _compare_keys(const void* a, const void* b) noexcept nogil:
    cdef int64_t x = (<const int64_t*> a)[0], y = (<const int64_t*> b)[0]
    return (x > y) - (x < y)


def glyph_boxes(
    const int64_t[::1] slots,
    const double[::1] x,
    const double[::1] baseline,
    const int64_t[::1] glyph_left,
    const int64_t[::1] glyph_top,
    const int64_t[::1] glyph_width,
    const int64_t[::1] glyph_height,
):
    """(left, top, width, height) of the bitmap box of glyph `i` (atlas slot `slots[i]`) placed
    with its pen at `x[i]` on baseline `baseline[i]` (px): the pen is rounded to the nearest
    whole pixel (half to even, as `np.rint`), then the glyph's bearings are applied. The four
    are the rows of one (4, n) array, allocated once."""
    cdef Py_ssize_t i, n = slots.shape[0]
    cdef int64_t slot
    if x.shape[0] != n or baseline.shape[0] != n:
        raise ValueError("slots, x and baseline differ in length")
    boxes_arr = np.empty((4, n), dtype=np.int64)
    cdef int64_t[:, ::1] boxes = boxes_arr
    for i in range(n):
        slot = slots[i]
        if slot < 0 or slot >= glyph_left.shape[0]:
            raise IndexError(f"no glyph in slot {slot}")
        boxes[0, i] = <int64_t>rint(x[i]) + glyph_left[slot]
        boxes[1, i] = <int64_t>rint(baseline[i]) - glyph_top[slot]
        boxes[2, i] = glyph_width[slot]
        boxes[3, i] = glyph_height[slot]
    return boxes_arr


def line_right(
    const int64_t[::1] line,
    const double[::1] left,
    const double[::1] width,
    Py_ssize_t n_lines,
    double initial,
    bint inked_only,
):
    """Right edge of each of `n_lines` lines: the largest `left[i] + width[i]` of the glyphs
    on it (`line[i]`), and at least `initial`. With `inked_only` a glyph of width 0 does not
    count (as `np.maximum.at` over the chosen glyphs)."""
    cdef Py_ssize_t i
    cdef int64_t at
    cdef double right
    if left.shape[0] != line.shape[0] or width.shape[0] != line.shape[0]:
        raise ValueError("line, left and width differ in length")
    edges_arr = np.full(n_lines, initial, dtype=np.float64)
    cdef double[::1] edges = edges_arr
    for i in range(line.shape[0]):
        if inked_only and not width[i] > 0:
            continue
        at = line[i]
        if at < 0 or at >= n_lines:
            raise IndexError(f"line {at} of {n_lines}")
        right = left[i] + width[i]
        if right > edges[at]:
            edges[at] = right
    return edges_arr
