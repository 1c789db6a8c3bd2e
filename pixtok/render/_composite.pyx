# cython: language_level=3
"""Glyph bitmaps into pages, one loop per call.

The glyph atlas (`raster.GlyphAtlas`) keeps the bitmap of every glyph it has drawn in one flat
pool: glyph `slot` starts at `start[slot]` and has `height[slot]` rows of `width[slot]` bytes.
These functions copy the bitmaps of placed glyphs straight into pages, row by row, where the
numpy version gathered every pixel into index arrays first: a page of text is some 800 glyphs of
about 100 pixels each, and the fixed cost of numpy's calls, not the pixels, was what a page
cost. A row of a glyph is drawn with one vectorised minimum (or maximum) over its bytes.
"""

cimport cython

cimport numpy as cnp
from libc.stdint cimport int32_t, int64_t, uint8_t

from pixtok.render._arrays cimport (
    new_array, new_zeros, read_int64, read_int64_matrix, read_uint8, write_int64, write_uint8,
)

cnp.import_array()

cdef extern from *:
    """
    #include <stdint.h>
    #ifdef __SSE2__
    #include <emmintrin.h>
    #endif
    /* Rows drawn with no branch per pixel. A coverage of 0 leaves the page as it is either way,
       and drawing a byte twice gives what drawing it once does (a minimum or a maximum), so a
       row of 8 bytes or more is drawn in vector steps of 16 (or 8) bytes, the last step ending
       at the row's end and overlapping the one before. A glyph row of a 16 px CJK font (14-16
       bytes) is then two steps, where the C compiler's own vectorised loop would go byte by
       byte (its vector steps need 16 bytes, and the rest is a scalar tail).
       The last step's page bytes are read before any step is written: a read that partly
       overlaps a write just made cannot take its bytes from the write and waits until the write
       reaches the cache (some 12 cycles on every row). The last step combines the page as it
       was, so the bytes it shares with the step before get the same value from each. */
    #ifdef __SSE2__
    static inline __m128i pixtok_combine(__m128i page, __m128i coverage, int dark) {
        return dark ? _mm_min_epu8(page, _mm_xor_si128(coverage, _mm_set1_epi8((char)0xFF)))
                    : _mm_max_epu8(page, coverage);
    }
    /* Draws a row of n >= 8 bytes and returns 1; returns 0, drawing nothing, when n < 8. */
    static inline int pixtok_vector_row(uint8_t *restrict page, const uint8_t *restrict coverage,
                                        Py_ssize_t n, int dark) {
        if (n >= 16) {
            __m128i last = pixtok_combine(_mm_loadu_si128((const __m128i *)(page + n - 16)),
                                          _mm_loadu_si128((const __m128i *)(coverage + n - 16)), dark);
            for (Py_ssize_t i = 0; i + 16 < n; i += 16) {
                __m128i c = _mm_loadu_si128((const __m128i *)(coverage + i));
                __m128i p = _mm_loadu_si128((const __m128i *)(page + i));
                _mm_storeu_si128((__m128i *)(page + i), pixtok_combine(p, c, dark));
            }
            _mm_storeu_si128((__m128i *)(page + n - 16), last);
            return 1;
        }
        if (n >= 8) {
            __m128i first = pixtok_combine(_mm_loadl_epi64((const __m128i *)page),
                                           _mm_loadl_epi64((const __m128i *)coverage), dark);
            __m128i last = pixtok_combine(_mm_loadl_epi64((const __m128i *)(page + n - 8)),
                                          _mm_loadl_epi64((const __m128i *)(coverage + n - 8)), dark);
            _mm_storel_epi64((__m128i *)page, first);
            _mm_storel_epi64((__m128i *)(page + n - 8), last);
            return 1;
        }
        return 0;
    }
    #else
    static inline int pixtok_vector_row(uint8_t *page, const uint8_t *coverage, Py_ssize_t n,
                                        int dark) {
        return 0;
    }
    #endif
    static inline void darken_row(uint8_t *restrict page, const uint8_t *restrict coverage,
                                  Py_ssize_t n) {
        if (pixtok_vector_row(page, coverage, n, 1)) return;
        for (Py_ssize_t i = 0; i < n; i++) {
            uint8_t value = (uint8_t)(255 - coverage[i]);
            page[i] = value < page[i] ? value : page[i];
        }
    }
    static inline void lighten_row(uint8_t *restrict page, const uint8_t *restrict coverage,
                                   Py_ssize_t n) {
        if (pixtok_vector_row(page, coverage, n, 0)) return;
        for (Py_ssize_t i = 0; i < n; i++) {
            page[i] = coverage[i] > page[i] ? coverage[i] : page[i];
        }
    }
    """
    void darken_row(uint8_t* page, const uint8_t* coverage, Py_ssize_t n) nogil
    void lighten_row(uint8_t* page, const uint8_t* coverage, Py_ssize_t n) nogil

ctypedef fused flat_index:
    int32_t
    int64_t


ctypedef struct Inside:
    int64_t c0, c1, r0, r1


cdef inline Inside inside_page(
    int64_t x0, int64_t y0, int64_t w, int64_t h, int64_t width, int64_t height
) noexcept nogil:
    """The columns [c0, c1) and rows [r0, r1) of a w x h bitmap with its top-left corner at
    (x0, y0) that fall inside a width x height page (none when c0 >= c1 or r0 >= r1)."""
    cdef Inside part
    part.c0 = max(0, -x0)
    part.c1 = min(w, width - x0)
    part.r0 = max(0, -y0)
    part.r1 = min(h, height - y0)
    return part


cdef int check_slots(
    const int64_t* slots, Py_ssize_t n, const int64_t* start, Py_ssize_t start_n,
    const int64_t* glyph_width, Py_ssize_t glyph_width_n, const int64_t* glyph_height,
    Py_ssize_t glyph_height_n, Py_ssize_t other_n, Py_ssize_t bitmaps_n,
) except -1:
    """Refuse atlas columns of different lengths (`other_n`: that of one more column the pass
    reads), a glyph whose slot is not one of the atlas's, or one whose bitmap (`start`,
    `glyph_width` x `glyph_height` bytes) lies outside the `bitmaps_n` bytes of pixels given:
    the passes read bitmaps unchecked."""
    if not (start_n == glyph_width_n == glyph_height_n == other_n):
        raise ValueError("the atlas's columns differ in length")
    cdef Py_ssize_t i
    cdef int64_t slot, w, h
    for i in range(n):
        slot = slots[i]
        if not 0 <= slot < glyph_width_n:
            raise IndexError(f"glyph {i} has no slot {slot}")
        w, h = glyph_width[slot], glyph_height[slot]
        if start[slot] < 0 or w < 0 or h < 0 or start[slot] + w * h > bitmaps_n:
            raise IndexError(f"the bitmap of slot {slot} lies outside the pixels given")
    return 0


def composite(
    ink_array,
    int64_t height,
    int64_t width,
    slots_array,
    left_array,
    top_array,
    page_array,
    start_array,
    count_array,
    glyph_width_array,
    glyph_height_array,
    bitmaps_array,
    bint dark,
    bint keep,
):
    """Draw glyph `i` (atlas slot `slots[i]`) with its top-left corner at (`left[i]`,
    `top[i]`) of page `page[i]` (an empty `page`: all on page 0) of the flat `ink` pages,
    `height` x `width` each. Where glyphs overlap the strongest coverage wins: the maximum of
    coverage, or with `dark` (`ink` holds 255 minus coverage: black text drawn in place on a
    white page) the minimum. Pixels outside their page are left out.

    Returns the [start, end) flat offsets of the whole rows drawn on (start >= end: none), and
    None or, with `keep`, the (flat index, value) of every inked pixel drawn, glyph by glyph
    and row by row, which `press` draws again at the cost of the scatter alone.
    """
    cdef Py_ssize_t ink_n, slots_n, left_n, top_n, page_n, start_n, count_n, glyph_width_n
    cdef Py_ssize_t glyph_height_n, bitmaps_n
    cdef uint8_t* ink = write_uint8(ink_array, &ink_n)
    cdef const int64_t* slots = read_int64(slots_array, &slots_n)
    cdef const int64_t* left = read_int64(left_array, &left_n)
    cdef const int64_t* top = read_int64(top_array, &top_n)
    cdef const int64_t* page = read_int64(page_array, &page_n)
    cdef const int64_t* start = read_int64(start_array, &start_n)
    cdef const int64_t* count = read_int64(count_array, &count_n)
    cdef const int64_t* glyph_width = read_int64(glyph_width_array, &glyph_width_n)
    cdef const int64_t* glyph_height = read_int64(glyph_height_array, &glyph_height_n)
    cdef const uint8_t* bitmaps = read_uint8(bitmaps_array, &bitmaps_n)
    cdef Py_ssize_t n = slots_n
    cdef Py_ssize_t i, total = 0, kept = 0
    cdef int64_t slot, x0, y0, w, h, r, c, r0, r1, c0, c1, at, first_row, page_size = height * width
    cdef int64_t drawn_start = ink_n, drawn_end = 0
    cdef Inside part
    cdef uint8_t value
    cdef const uint8_t* row
    cdef bint paged = page_n > 0
    if left_n != n or top_n != n or (paged and page_n != n):
        raise ValueError("slots, left, top and page differ in length")
    check_slots(
        slots, n, start, start_n, glyph_width, glyph_width_n, glyph_height, glyph_height_n, count_n,
        bitmaps_n,
    )
    for i in range(n if paged else 0):
        if not (0 <= page[i] and (page[i] + 1) * page_size <= ink_n):
            raise IndexError(f"glyph {i} lies on page {page[i]}, beyond the pages given")
    if not paged and page_size > ink_n:
        raise ValueError("the page is larger than the pixels given")
    if keep:
        for i in range(n):
            total += count[slots[i]]
    kept_flat = new_array(total if keep else 0, cnp.NPY_INT64)
    kept_val = new_array(total if keep else 0, cnp.NPY_UINT8)
    cdef int64_t* flat_out = write_int64(kept_flat, NULL)
    cdef uint8_t* val_out = write_uint8(kept_val, NULL)
    with nogil:
        for i in range(n):
            slot = slots[i]
            w = glyph_width[slot]
            h = glyph_height[slot]
            x0 = left[i]
            y0 = top[i]
            part = inside_page(x0, y0, w, h, width, height)
            c0, c1, r0, r1 = part.c0, part.c1, part.r0, part.r1
            if c0 >= c1 or r0 >= r1:
                continue
            first_row = (page[i] * page_size if paged else 0) + y0 * width
            drawn_start = min(drawn_start, first_row + r0 * width)
            drawn_end = max(drawn_end, first_row + r1 * width)
            for r in range(r0, r1):
                row = &bitmaps[start[slot] + r * w]
                at = first_row + r * width + x0
                if not keep:
                    if dark:
                        darken_row(&ink[at + c0], row + c0, c1 - c0)
                    else:
                        lighten_row(&ink[at + c0], row + c0, c1 - c0)
                    continue
                for c in range(c0, c1):
                    value = row[c]
                    if not value:
                        continue
                    if dark:
                        value = 255 - value
                        if value < ink[at + c]:
                            ink[at + c] = value
                    elif value > ink[at + c]:
                        ink[at + c] = value
                    flat_out[kept] = at + c
                    val_out[kept] = value
                    kept += 1
    if not keep:
        return drawn_start, drawn_end, None
    return drawn_start, drawn_end, (kept_flat[:kept], kept_val[:kept])


def press(uint8_t[::1] ink, const flat_index[::1] flat, const uint8_t[::1] values, bint dark):
    """Draw pixels kept by `composite(keep=True)` again into pages shaped as those they came from.
    Returns the [start, end) flat offsets of the pixels drawn (start >= end: none)."""
    cdef Py_ssize_t i
    cdef int64_t at, drawn_start = ink.shape[0], drawn_end = 0
    with nogil:
        for i in range(flat.shape[0]):
            at = flat[i]
            drawn_start = min(drawn_start, at)
            drawn_end = max(drawn_end, at + 1)
            if dark:
                if values[i] < ink[at]:
                    ink[at] = values[i]
            elif values[i] > ink[at]:
                ink[at] = values[i]
    return drawn_start, drawn_end


def clipped_ink(
    slots_array,
    left_array,
    top_array,
    page_array,
    page_width_array,
    page_height_array,
    start_array,
    glyph_width_array,
    glyph_height_array,
    glyph_ink_array,
    bitmaps_array,
):
    """(coverage falling outside the pages, all coverage) of placed glyphs. Glyph `i` lies on
    page `page[i]`, `page_width[page[i]]` x `page_height[page[i]]` px. Coverage is summed
    before glyphs overlap."""
    cdef Py_ssize_t slots_n, left_n, top_n, page_n, page_width_n, page_height_n, start_n
    cdef Py_ssize_t glyph_width_n, glyph_height_n, glyph_ink_n, bitmaps_n
    cdef const int64_t* slots = read_int64(slots_array, &slots_n)
    cdef const int64_t* left = read_int64(left_array, &left_n)
    cdef const int64_t* top = read_int64(top_array, &top_n)
    cdef const int64_t* page = read_int64(page_array, &page_n)
    cdef const int64_t* page_width = read_int64(page_width_array, &page_width_n)
    cdef const int64_t* page_height = read_int64(page_height_array, &page_height_n)
    cdef const int64_t* start = read_int64(start_array, &start_n)
    cdef const int64_t* glyph_width = read_int64(glyph_width_array, &glyph_width_n)
    cdef const int64_t* glyph_height = read_int64(glyph_height_array, &glyph_height_n)
    cdef const int64_t* glyph_ink = read_int64(glyph_ink_array, &glyph_ink_n)
    cdef const uint8_t* bitmaps = read_uint8(bitmaps_array, &bitmaps_n)
    cdef Py_ssize_t n = slots_n
    cdef Py_ssize_t i, at
    cdef int64_t slot, w, h, page_w, page_h, x, y, r, c, outside = 0, total = 0
    if page_n != n or left_n != n or top_n != n:
        raise ValueError("slots, left, top and page differ in length")
    check_slots(
        slots, n, start, start_n, glyph_width, glyph_width_n, glyph_height, glyph_height_n,
        glyph_ink_n, bitmaps_n,
    )
    for i in range(n):
        if page[i] < 0 or page[i] >= page_width_n or page[i] >= page_height_n:
            raise IndexError(f"glyph {i} lies on page {page[i]}, of {page_width_n}")
    with nogil:
        for i in range(n):
            slot = slots[i]
            total += glyph_ink[slot]
            w = glyph_width[slot]
            h = glyph_height[slot]
            at = page[i]
            page_w = page_width[at]
            page_h = page_height[at]
            if left[i] >= 0 and top[i] >= 0 and left[i] + w <= page_w and top[i] + h <= page_h:
                continue
            for r in range(h):
                y = top[i] + r
                for c in range(w):
                    x = left[i] + c
                    if y < 0 or y >= page_h or x < 0 or x >= page_w:
                        outside += bitmaps[start[slot] + r * w + c]
    return outside, total


@cython.boundscheck(False)
@cython.wraparound(False)
@cython.cdivision(True)
def inked_patches(
    slots_array,
    left_array,
    top_array,
    page_array,
    page_size_array,
    grid_array,
    start_array,
    glyph_width_array,
    glyph_height_array,
    bitmaps_array,
    int64_t patch,
):
    """Which `patch` x `patch` squares of each page a placed glyph leaves ink in: glyph `i`
    (atlas slot `slots[i]`, top-left corner at (`left[i]`, `top[i]`)) lies on page `page[i]`,
    `page_size[page[i]]` = (width, height) px, cut into `grid[page[i]]` = (rows, columns)
    squares. Only pixels of non-zero coverage inside the page count, as on a drawn page;
    partial squares at the right and bottom edges count the page's pixels only.

    Returns (mask, first): the squares of all pages, page after page and row by row (uint8),
    and where each page's squares begin (one more entry: their total). A glyph covers a few
    squares; each square not yet marked is read until its first inked pixel, so most glyphs
    (whose squares a neighbour has marked) cost a few lookups."""
    cdef Py_ssize_t slots_n, left_n, top_n, page_n, start_n, glyph_width_n, glyph_height_n
    cdef Py_ssize_t bitmaps_n, first_n, mask_n, square_of_n
    cdef const int64_t* slots = read_int64(slots_array, &slots_n)
    cdef const int64_t* left = read_int64(left_array, &left_n)
    cdef const int64_t* top = read_int64(top_array, &top_n)
    cdef const int64_t* page = read_int64(page_array, &page_n)
    cdef const int64_t* start = read_int64(start_array, &start_n)
    cdef const int64_t* glyph_width = read_int64(glyph_width_array, &glyph_width_n)
    cdef const int64_t* glyph_height = read_int64(glyph_height_array, &glyph_height_n)
    cdef const uint8_t* bitmaps = read_uint8(bitmaps_array, &bitmaps_n)
    cdef Py_ssize_t pages, size_columns, grid_rows, grid_columns
    cdef const int64_t* page_size = read_int64_matrix(page_size_array, &pages, &size_columns)
    cdef const int64_t* grid = read_int64_matrix(grid_array, &grid_rows, &grid_columns)
    cdef Py_ssize_t n = slots_n
    cdef Py_ssize_t i
    cdef int64_t slot, w, x0, y0, r, c, r0, r1, c0, c1, p, cy, cx, ry0, ry1, cx0, cx1, at
    cdef int64_t longest = 1
    cdef const uint8_t* pixels
    cdef const uint8_t* row
    cdef bint found
    cdef Inside part
    if page_n != n or left_n != n or top_n != n:
        raise ValueError("slots, left, top and page differ in length")
    if size_columns != 2 or grid_columns != 2 or grid_rows != pages or patch < 1:
        raise ValueError("page sizes and grids must be (width, height) and (rows, columns) per page")
    check_slots(
        slots, n, start, start_n, glyph_width, glyph_width_n, glyph_height, glyph_height_n,
        glyph_width_n, bitmaps_n,
    )
    for i in range(n):
        if page[i] < 0 or page[i] >= pages:
            raise IndexError(f"glyph {i} lies on page {page[i]}, of {pages}")
    first_array = new_array(pages + 1, cnp.NPY_INT64)
    cdef int64_t* first = write_int64(first_array, &first_n)
    first[0] = 0
    for p in range(pages):
        if grid[2 * p + 1] * patch < page_size[2 * p] or grid[2 * p] * patch < page_size[2 * p + 1] or page_size[2 * p] < 0 or page_size[2 * p + 1] < 0:
            raise ValueError(f"the grid of page {p} does not cover it")
        first[p + 1] = first[p] + grid[2 * p] * grid[2 * p + 1]
        longest = max(longest, page_size[2 * p], page_size[2 * p + 1])
    mask_array = new_zeros(first[pages], cnp.NPY_UINT8)
    cdef uint8_t* mask = write_uint8(mask_array, &mask_n)
    # The square of each pixel row or column (a table: a 64-bit division costs more than the
    # rest of a glyph's lookups).
    square_of_array = new_array(longest, cnp.NPY_INT64)
    cdef int64_t* square_of = write_int64(square_of_array, &square_of_n)
    for i in range(longest):
        square_of[i] = i // patch
    with nogil:
        for i in range(n):
            slot = slots[i]
            w = glyph_width[slot]
            x0 = left[i]
            y0 = top[i]
            p = page[i]
            part = inside_page(x0, y0, w, glyph_height[slot], page_size[2 * p], page_size[2 * p + 1])
            c0, c1, r0, r1 = part.c0, part.c1, part.r0, part.r1
            if c0 >= c1 or r0 >= r1:
                continue
            pixels = &bitmaps[start[slot]]
            for cy in range(square_of[y0 + r0], square_of[y0 + r1 - 1] + 1):
                ry0 = max(r0, cy * patch - y0)
                ry1 = min(r1, (cy + 1) * patch - y0)
                for cx in range(square_of[x0 + c0], square_of[x0 + c1 - 1] + 1):
                    at = first[p] + cy * grid[2 * p + 1] + cx
                    if mask[at]:
                        continue
                    cx0 = max(c0, cx * patch - x0)
                    cx1 = min(c1, (cx + 1) * patch - x0)
                    found = False
                    for r in range(ry0, ry1):
                        row = pixels + r * w
                        for c in range(cx0, cx1):
                            if row[c]:
                                found = True
                                break
                        if found:
                            mask[at] = 1
                            break
    return mask_array, first_array
