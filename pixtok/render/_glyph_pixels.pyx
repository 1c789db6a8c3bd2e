# cython: language_level=3
"""Glyphs drawn by FreeType, kept as bitmaps, in one compiled loop.

The glyph atlas (`raster.GlyphAtlas`) stores each glyph's bitmap, rows of `width` bytes one
after the other. Drawing a batch of new glyphs used to cost more in Python and numpy (a ctypes
call and a copy of the bitmap per glyph, then a dozen array passes over the pixels) than in
FreeType itself: a CJK glyph took about 27 µs of FreeType and 40 µs around it. This loop calls
the same FreeType functions (their addresses are taken from freetype-py's own library handle,
so there is one FreeType in the process) and reads each bitmap where FreeType left it. Where
the fields of FreeType's structures lie is also read from freetype-py's ctypes declarations,
not written down here again.
"""


cimport numpy as cnp
from libc.stdint cimport int32_t, int64_t, uint8_t
from libc.stdlib cimport free, realloc
from libc.string cimport memcpy, memset

from pixtok.render._arrays cimport new_array, read_int64, write_int64, write_int64_rows, write_uint8

cnp.import_array()

#: What `rasterize` gives of each glyph, one row each, in this order.
GLYPH_FIELDS = ("start", "count", "left", "top", "w", "h", "ink")

ctypedef int (*load_glyph_fn)(void* face, unsigned int glyph_index, int32_t load_flags) noexcept nogil
ctypedef int (*render_glyph_fn)(void* slot, int render_mode) noexcept nogil


cdef class _Growing:
    """A C buffer of bytes that doubles as it fills."""

    cdef uint8_t* data
    cdef Py_ssize_t size, capacity

    def __cinit__(self):
        self.data = NULL
        self.size = 0
        self.capacity = 0

    def __dealloc__(self):
        free(self.data)

    cdef int reserve(self, Py_ssize_t extra) except -1:
        cdef Py_ssize_t wanted = self.size + extra
        if wanted <= self.capacity:
            return 0
        cdef Py_ssize_t capacity = max(wanted, 2 * self.capacity, 4096)
        cdef uint8_t* data = <uint8_t*> realloc(self.data, capacity)
        if data == NULL:
            raise MemoryError()
        self.data = data
        self.capacity = capacity
        return 0


def rasterize(
    size_t load_glyph,
    size_t render_glyph,
    size_t face,
    size_t slot,
    tuple layout,
    glyph_ids_array,
    int64_t first_pixel,
    int32_t load_flags,
    int render_mode,
    fields_array,
    slot_table_array,
    int64_t first_slot,
    int64_t max_pixels,
):
    """Draw `glyph_ids` of a sized FreeType face with FT_Load_Glyph and FT_Render_Glyph.

    `load_glyph`/`render_glyph` are those functions' addresses, `face` the FT_Face and `slot`
    its glyph slot. `layout` gives byte offsets: the bitmap, bitmap_left and bitmap_top of the
    slot, then the rows, width, pitch and buffer of the bitmap.

    Returns the bitmaps, glyph after glyph (rows of `width` bytes, top row first), and -1, or
    the position in `glyph_ids` of a glyph whose bitmap would have more than `max_pixels`
    pixels (known from its outline's box once loaded, before it is drawn: a hostile font's
    one glyph could otherwise take gigabytes). The glyphs before that one are drawn and kept;
    it and the glyphs after it are not, and their `slot_table` entries stay unset. `fields`
    gets a row for each of GLYPH_FIELDS and a column per glyph: where its bitmap starts
    (`first_pixel` plus its offset in the bitmaps: where the bitmaps will sit in the pool they
    are added to), its inked (non-zero) pixel count, left and top bearings, width, rows, and
    summed coverage. A glyph FreeType cannot draw has an empty bitmap and zero bearings. The
    glyphs are the atlas's slots `first_slot`, `first_slot + 1`, ...: each glyph id's entry of
    `slot_table` is set to its slot.
    """
    cdef Py_ssize_t glyph_ids_n, slot_table_n
    cdef const int64_t* glyph_ids = read_int64(glyph_ids_array, &glyph_ids_n)
    cdef int64_t* slot_table = write_int64(slot_table_array, &slot_table_n)
    cdef Py_ssize_t slot_bitmap = layout[0], slot_left = layout[1], slot_top = layout[2]
    cdef Py_ssize_t bitmap_rows = layout[3], bitmap_width = layout[4]
    cdef Py_ssize_t bitmap_pitch = layout[5], bitmap_buffer = layout[6]
    cdef load_glyph_fn load = <load_glyph_fn> <void*> load_glyph
    cdef render_glyph_fn render = <render_glyph_fn> <void*> render_glyph
    cdef char* glyph_slot = <char*> <void*> slot
    cdef char* bitmap = glyph_slot + slot_bitmap
    cdef Py_ssize_t n = glyph_ids_n
    cdef Py_ssize_t k, r, c, used
    cdef int32_t rows, width, pitch
    cdef uint8_t* buffer
    cdef uint8_t* row
    cdef uint8_t value
    cdef int64_t inked, inked_pixels
    cdef Py_ssize_t oversized = -1

    cdef Py_ssize_t rows_of_fields, columns, step
    cdef int64_t* fields = write_int64_rows(fields_array, &rows_of_fields, &columns, &step)
    if rows_of_fields != len(GLYPH_FIELDS) or columns != n:
        raise ValueError("fields must have a row per field and a column per glyph")
    for k in range(n):
        if not 0 <= glyph_ids[k] < slot_table_n:
            raise IndexError(f"glyph id {glyph_ids[k]} is outside the slot table")
    for r in range(rows_of_fields):
        memset(fields + r * step, 0, n * sizeof(int64_t))
    cdef int64_t* start_v = fields
    cdef int64_t* count_v = fields + step
    cdef int64_t* left_v = fields + 2 * step
    cdef int64_t* top_v = fields + 3 * step
    cdef int64_t* width_v = fields + 4 * step
    cdef int64_t* height_v = fields + 5 * step
    cdef int64_t* ink_v = fields + 6 * step
    cdef _Growing pixels = _Growing()

    for k in range(n):
        start_v[k] = first_pixel + pixels.size
        if load(<void*> face, <unsigned int> glyph_ids[k], load_flags):
            slot_table[glyph_ids[k]] = first_slot + k
            continue
        # FreeType has set the size of the bitmap it would draw (FT_Load_Glyph presets it).
        rows = (<int32_t*> (bitmap + bitmap_rows))[0]
        width = (<int32_t*> (bitmap + bitmap_width))[0]
        if <int64_t> max(rows, 0) * <int64_t> max(width, 0) > max_pixels:
            oversized = k
            break
        slot_table[glyph_ids[k]] = first_slot + k
        if render(<void*> slot, render_mode):
            continue
        left_v[k] = (<int32_t*> (glyph_slot + slot_left))[0]
        top_v[k] = (<int32_t*> (glyph_slot + slot_top))[0]
        rows = (<int32_t*> (bitmap + bitmap_rows))[0]
        width = (<int32_t*> (bitmap + bitmap_width))[0]
        pitch = abs((<int32_t*> (bitmap + bitmap_pitch))[0])
        buffer = (<uint8_t**> (bitmap + bitmap_buffer))[0]
        if rows <= 0 or width <= 0 or buffer == NULL:
            continue
        used = min(width, pitch)  # bytes of FreeType's row that hold pixels
        width_v[k] = width
        height_v[k] = rows
        pixels.reserve(<Py_ssize_t> rows * width)
        inked = 0
        inked_pixels = 0
        for r in range(rows):
            row = pixels.data + pixels.size
            memcpy(row, buffer + r * pitch, used)
            memset(row + used, 0, width - used)
            pixels.size += width
            for c in range(used):
                value = row[c]
                inked += value
                inked_pixels += value != 0
        count_v[k] = inked_pixels
        ink_v[k] = inked

    bitmaps = new_array(pixels.size, cnp.NPY_UINT8)
    cdef uint8_t* bitmaps_v = write_uint8(bitmaps, NULL)
    if pixels.size:
        memcpy(&bitmaps_v[0], pixels.data, pixels.size)
    return bitmaps, oversized
