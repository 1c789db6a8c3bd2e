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

cimport numpy as cnp
from libc.math cimport rint
from libc.stdint cimport int32_t, int64_t
from libc.stdlib cimport qsort

from pixtok.render._arrays cimport (
    new_array, new_matrix, read_float64, read_int32, read_int64, write_float64, write_int64, write_int64_rows,
)

cnp.import_array()


def find_slots(
    font_array,
    gid_array,
    bint picked,
    index_array,
    table_array,
    table_start_array,
    slots_array,
):
    """Write the atlas slot of glyph `gid[k]` of font `font[k]`, k = `index[i]` when `picked`
    (else k = i, and `index` is not read), into `slots[i]`: -1 for a glyph not drawn yet, or of
    a font that has no table yet. Returns how many are -1."""
    cdef Py_ssize_t font_n, gid_n, index_n, table_n, table_start_n, slots_n
    cdef const int32_t* font = read_int32(font_array, &font_n)
    cdef const int32_t* gid = read_int32(gid_array, &gid_n)
    cdef const int64_t* index = read_int64(index_array, &index_n)
    cdef const int64_t* table = read_int64(table_array, &table_n)
    cdef const int64_t* table_start = read_int64(table_start_array, &table_start_n)
    cdef int64_t* slots = write_int64(slots_array, &slots_n)
    cdef Py_ssize_t i, k, missing = 0, n = font_n
    cdef Py_ssize_t tables = table_start_n - 1
    if tables >= 0 and not 0 <= table_start[tables] <= table_n:
        raise ValueError("the tables end past the slot table")
    cdef int64_t f, g, slot
    if gid_n != n or slots_n != (index_n if picked else n):
        raise ValueError("font and gid differ in length, or slots from the glyphs asked for")
    for i in range(slots_n):
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
    font_array,
    gid_array,
    bint picked,
    index_array,
    slots_array,
):
    """The distinct glyphs with slot -1 (as `find_slots` wrote `slots` for the same arguments),
    sorted by font and then glyph id: (fonts, bounds, glyph ids), the ids of `fonts[j]` being
    `glyph_ids[bounds[j]:bounds[j + 1]]`. This order is the order glyphs are drawn in, so a
    text's glyphs always get the same slots."""
    cdef Py_ssize_t font_n, gid_n, index_n, slots_n
    cdef const int32_t* font = read_int32(font_array, &font_n)
    cdef const int32_t* gid = read_int32(gid_array, &gid_n)
    cdef const int64_t* index = read_int64(index_array, &index_n)
    cdef const int64_t* slots = read_int64(slots_array, &slots_n)
    cdef Py_ssize_t i, k, m = 0, n = slots_n
    if gid_n != font_n or n != (index_n if picked else font_n):
        raise ValueError("font and gid differ in length, or slots from the glyphs asked for")
    keys_arr = new_array(n, cnp.NPY_INT64)
    cdef int64_t* keys = write_int64(keys_arr, NULL)
    for i in range(n):
        if slots[i] < 0:
            k = index[i] if picked else i
            keys[m] = (<int64_t>font[k] << 32) | <int64_t>gid[k]
            m += 1
    if m > 1:
        qsort(&keys[0], m, sizeof(int64_t), _compare_keys)
    glyph_ids = new_array(m, cnp.NPY_INT64)
    cdef int64_t* ids = write_int64(glyph_ids, NULL)
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
    slots_array,
    x_array,
    baseline_array,
    glyph_left_array,
    glyph_top_array,
    glyph_width_array,
    glyph_height_array,
):
    """(left, top, width, height) of the bitmap box of glyph `i` (atlas slot `slots[i]`) placed
    with its pen at `x[i]` on baseline `baseline[i]` (px): the pen is rounded to the nearest
    whole pixel (half to even, as `np.rint`), then the glyph's bearings are applied. The four
    are the rows of one (4, n) array, allocated once."""
    cdef Py_ssize_t slots_n, x_n, baseline_n, glyph_left_n, glyph_top_n, glyph_width_n, glyph_height_n
    cdef const int64_t* slots = read_int64(slots_array, &slots_n)
    cdef const double* x = read_float64(x_array, &x_n)
    cdef const double* baseline = read_float64(baseline_array, &baseline_n)
    cdef const int64_t* glyph_left = read_int64(glyph_left_array, &glyph_left_n)
    cdef const int64_t* glyph_top = read_int64(glyph_top_array, &glyph_top_n)
    cdef const int64_t* glyph_width = read_int64(glyph_width_array, &glyph_width_n)
    cdef const int64_t* glyph_height = read_int64(glyph_height_array, &glyph_height_n)
    cdef Py_ssize_t i, n = slots_n
    if not (glyph_left_n == glyph_top_n == glyph_width_n == glyph_height_n):
        raise ValueError("the atlas's columns differ in length")
    cdef int64_t slot
    if x_n != n or baseline_n != n:
        raise ValueError("slots, x and baseline differ in length")
    boxes_arr = new_matrix(4, n, cnp.NPY_INT64)
    cdef Py_ssize_t rows, columns, step
    cdef int64_t* left = write_int64_rows(boxes_arr, &rows, &columns, &step)
    cdef int64_t* top = left + step
    cdef int64_t* width = left + 2 * step
    cdef int64_t* height = left + 3 * step
    for i in range(n):
        slot = slots[i]
        if slot < 0 or slot >= glyph_left_n:
            raise IndexError(f"no glyph in slot {slot}")
        left[i] = <int64_t>rint(x[i]) + glyph_left[slot]
        top[i] = <int64_t>rint(baseline[i]) - glyph_top[slot]
        width[i] = glyph_width[slot]
        height[i] = glyph_height[slot]
    return boxes_arr


def line_right(
    line_array,
    left_array,
    width_array,
    Py_ssize_t n_lines,
    double initial,
    bint inked_only,
):
    """Right edge of each of `n_lines` lines: the largest `left[i] + width[i]` of the glyphs
    on it (`line[i]`), and at least `initial`. With `inked_only` a glyph of width 0 does not
    count (as `np.maximum.at` over the chosen glyphs)."""
    cdef Py_ssize_t line_n, left_n, width_n
    cdef const int64_t* line = read_int64(line_array, &line_n)
    cdef const double* left = read_float64(left_array, &left_n)
    cdef const double* width = read_float64(width_array, &width_n)
    cdef Py_ssize_t i
    cdef int64_t at
    cdef double right
    if left_n != line_n or width_n != line_n:
        raise ValueError("line, left and width differ in length")
    edges_arr = np.full(n_lines, initial, dtype=np.float64)
    cdef double* edges = write_float64(edges_arr, NULL)
    for i in range(line_n):
        if inked_only and not width[i] > 0:
            continue
        at = line[i]
        if at < 0 or at >= n_lines:
            raise IndexError(f"line {at} of {n_lines}")
        right = left[i] + width[i]
        if right > edges[at]:
            edges[at] = right
    return edges_arr
