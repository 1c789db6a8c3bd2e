# cython: language_level=3
"""Items through HarfBuzz into glyph columns, one loop per text.

`harfbuzz.CShaper` shapes every run of a text with the same HarfBuzz buffer: fill it from the
text's UTF-32 code points (the whole text as context, the run as the item), set its direction,
script and language, shape, and copy the glyphs out. Through ctypes that was some ten foreign
calls and two byte strings per run, then a numpy pass per column to split HarfBuzz's records;
for texts of many short runs (Latin words in Chinese prose, numbers in Arabic) those fixed costs
outweighed the shaping. Here the same HarfBuzz functions, from the library uharfbuzz loaded
(their addresses come from ctypes), are called in one loop that writes each glyph's fields
straight into the columns, right-to-left runs reversed into logical order when asked.

The records are HarfBuzz's `hb_glyph_info_t` and `hb_glyph_position_t` (hb-buffer.h).
"""


cimport numpy as cnp
from libc.stdint cimport int8_t, int32_t, int64_t, uint8_t, uint16_t, uint32_t, uintptr_t

from pixtok.render._arrays cimport (
    new_array, new_matrix, new_zeros, read_int32, read_int64, read_int8, read_uint16, read_uint32, read_uintp,
    write_int32, write_int64, write_int8, write_uint8,
)

cnp.import_array()

ctypedef struct GlyphInfo:
    uint32_t codepoint  # the glyph id, after shaping
    uint32_t mask  # its low bits are the glyph flags
    uint32_t cluster
    uint32_t var1
    uint32_t var2

ctypedef struct GlyphPosition:
    int32_t x_advance
    int32_t y_advance
    int32_t x_offset
    int32_t y_offset
    uint32_t var

ctypedef void (*ClearContents)(void* buffer) noexcept
ctypedef void (*AddUtf32)(void* buffer, const uint32_t* text, int length, unsigned int offset, int item_length) noexcept
ctypedef void (*SetSegmentProperties)(void* buffer, const void* properties) noexcept
ctypedef void (*GuessSegmentProperties)(void* buffer) noexcept
ctypedef void (*Shape)(void* font, void* buffer, const void* features, unsigned int feature_count) noexcept
ctypedef int (*AllocationSuccessful)(void* buffer) noexcept
ctypedef GlyphInfo* (*GetGlyphInfos)(void* buffer, unsigned int* length) noexcept
ctypedef GlyphPosition* (*GetGlyphPositions)(void* buffer, unsigned int* length) noexcept

#: HB_GLYPH_FLAG_DEFINED: the bits of an info's mask that are glyph flags.
cdef uint32_t GLYPH_FLAGS_DEFINED = 0x7


def shape_items(
    object functions,
    uintptr_t buffer,
    text_array,
    start_array,
    end_array,
    font_table_array,
    font_array,
    list segment,
    list script,
    list rtl,
    bint logical,
    bint alone,
):
    """Shape item `i` (text[start[i]:end[i]], the whole text as context, or with `alone` no
    context: as if the text were the item's characters only) with HarfBuzz font
    `font_table[font[i]]` and the segment properties at address `segment[i]` (then, where
    `script[i]` is None, HarfBuzz guesses the script); with `logical`, the glyphs of items
    marked `rtl` are given last to first. Clusters are offsets into `text` either way.

    `functions` holds the addresses of hb_buffer_clear_contents, hb_buffer_add_utf32,
    hb_buffer_set_segment_properties, hb_buffer_guess_segment_properties, hb_shape,
    hb_buffer_allocation_successful, hb_buffer_get_glyph_infos and
    hb_buffer_get_glyph_positions, in this order.

    Returns the columns gid (int32), cluster (int64), flags (uint8, HarfBuzz's glyph flags),
    x_advance, x_offset, y_offset (int32, font units) of all items' glyphs in item order, and
    the glyph count of each item (int64).
    """
    cdef Py_ssize_t text_n, start_n, end_n, font_table_n, font_n
    cdef const uint32_t* text = read_uint32(text_array, &text_n)
    cdef const int64_t* start = read_int64(start_array, &start_n)
    cdef const int64_t* end = read_int64(end_array, &end_n)
    cdef const uintptr_t* font_table = read_uintp(font_table_array, &font_table_n)
    cdef const int32_t* font = read_int32(font_array, &font_n)
    cdef ClearContents clear = <ClearContents><uintptr_t>functions[0]
    cdef AddUtf32 add = <AddUtf32><uintptr_t>functions[1]
    cdef SetSegmentProperties set_segment = <SetSegmentProperties><uintptr_t>functions[2]
    cdef GuessSegmentProperties guess_segment = <GuessSegmentProperties><uintptr_t>functions[3]
    cdef Shape shape = <Shape><uintptr_t>functions[4]
    cdef AllocationSuccessful successful = <AllocationSuccessful><uintptr_t>functions[5]
    cdef GetGlyphInfos get_infos = <GetGlyphInfos><uintptr_t>functions[6]
    cdef GetGlyphPositions get_positions = <GetGlyphPositions><uintptr_t>functions[7]
    cdef void* buf = <void*>buffer
    cdef Py_ssize_t items = start_n, item, j, at
    cdef bint reverse
    if end_n != items or font_n != items or len(segment) != items or len(script) != items or len(rtl) != items:
        raise ValueError("the item columns differ in length")
    for item in range(items):
        if not 0 <= start[item] <= end[item] <= text_n:
            raise IndexError(f"item {item} lies outside the text")
        if not 0 <= font[item] < font_table_n:
            raise IndexError(f"item {item} names no font of the table")
    cdef uint32_t offset
    cdef Py_ssize_t total = 0, capacity = text_n + 64
    cdef unsigned int length = 0
    cdef GlyphInfo* info
    cdef GlyphPosition* position
    columns = _Columns(capacity)
    count_array = new_array(items, cnp.NPY_INT64)
    cdef int64_t* count = write_int64(count_array, NULL)
    cdef const uint32_t* codepoints = &text[0] if text_n else NULL
    for item in range(items):
        clear(buf)
        if alone:
            offset = <uint32_t>start[item]
            add(buf, codepoints + offset, <int>(end[item] - start[item]), 0, <int>(end[item] - start[item]))
        else:
            offset = 0
            add(buf, codepoints, <int>text_n, <unsigned int>start[item], <int>(end[item] - start[item]))
        set_segment(buf, <const void*><uintptr_t>segment[item])
        if script[item] is None:
            guess_segment(buf)
        shape(<void*>font_table[font[item]], buf, NULL, 0)
        if not successful(buf):
            raise MemoryError("HarfBuzz ran out of memory shaping the text")
        info = get_infos(buf, &length)
        position = get_positions(buf, &length)
        if total + length > columns.capacity:
            columns.grow(2 * (total + length), total)
        reverse = logical and rtl[item]
        for j in range(length):
            at = total + (length - 1 - j if reverse else j)
            columns.gid[at] = <int32_t>info[j].codepoint
            columns.cluster[at] = info[j].cluster + offset
            columns.flags[at] = <uint8_t>(info[j].mask & GLYPH_FLAGS_DEFINED)
            columns.advance[at] = position[j].x_advance
            columns.x_offset[at] = position[j].x_offset
            columns.y_offset[at] = position[j].y_offset
        count[item] = length
        total += length
    return columns.trimmed(total) + (count_array,)


cdef class _Columns:
    """The glyph columns, written in place and grown (doubled) when a text has more glyphs than
    characters; handed back as views of their first `total` rows."""

    cdef public object arrays
    cdef Py_ssize_t capacity
    cdef int32_t* gid
    cdef int64_t* cluster
    cdef uint8_t* flags
    cdef int32_t* advance
    cdef int32_t* x_offset
    cdef int32_t* y_offset

    def __cinit__(self, Py_ssize_t capacity):
        self.capacity = 0
        self.grow(capacity, 0)

    cdef int grow(self, Py_ssize_t capacity, Py_ssize_t kept) except -1:
        old = self.arrays
        # The four int32 columns are the rows of one array: one allocation for them all (rows
        # taken by index: unpacking an array iterates it past its end, an IndexError each time).
        block = new_matrix(4, capacity, cnp.NPY_INT32)
        gid, advance, x_offset, y_offset = block[0], block[1], block[2], block[3]
        cluster, flags = new_array(capacity, cnp.NPY_INT64), new_array(capacity, cnp.NPY_UINT8)
        self.arrays = (gid, cluster, flags, advance, x_offset, y_offset)
        if old is not None:
            for new_column, old_column in zip(self.arrays, old):
                new_column[:kept] = old_column[:kept]
        cdef Py_ssize_t n
        self.gid = write_int32(gid, &n)
        self.cluster = write_int64(cluster, &n)
        self.flags = write_uint8(flags, &n)
        self.advance = write_int32(advance, &n)
        self.x_offset = write_int32(x_offset, &n)
        self.y_offset = write_int32(y_offset, &n)
        self.capacity = capacity
        return 0

    cdef tuple trimmed(self, Py_ssize_t total):
        gid, cluster, flags, advance, x_offset, y_offset = self.arrays
        return (
            gid[:total], cluster[:total], flags[:total], advance[:total], x_offset[:total], y_offset[:total]
        )


def run_columns(
    count_array,
    run_level_array,
    run_font_array,
    gid_array,
    cluster_array,
    advance_array,
    x_offset_array,
    y_offset_array,
    cps_array,
    properties_array,
    uint16_t invisible,
    uint16_t unseen,
    int32_t hidden,
):
    """The per-glyph columns of shaped runs (`count[r]` glyphs each, in run order): the first
    glyph of each run (one more entry: the glyph count), and each glyph's bidi level and font
    index from its run. Glyphs HarfBuzz found no glyph for (id 0) whose character shapes to
    nothing (its entry in the character `properties` table has the `invisible` flag) get the
    id `hidden`, and no advance or offset.

    Also returns the fonts (indices, ascending) that draw at least one glyph, not hidden:
    (0,) when none does.

    Returns None, leaving every column as it was, when a character of a glyph with id 0 is
    `unseen` in the table (its properties are not known yet)."""
    cdef Py_ssize_t count_n, run_level_n, run_font_n, gid_n, cluster_n, advance_n, x_offset_n
    cdef Py_ssize_t y_offset_n, cps_n, properties_n
    cdef const int64_t* count = read_int64(count_array, &count_n)
    cdef const int8_t* run_level = read_int8(run_level_array, &run_level_n)
    cdef const int32_t* run_font = read_int32(run_font_array, &run_font_n)
    cdef int32_t* gid = write_int32(gid_array, &gid_n)
    cdef const int64_t* cluster = read_int64(cluster_array, &cluster_n)
    cdef int32_t* advance = write_int32(advance_array, &advance_n)
    cdef int32_t* x_offset = write_int32(x_offset_array, &x_offset_n)
    cdef int32_t* y_offset = write_int32(y_offset_array, &y_offset_n)
    cdef const uint32_t* cps = read_uint32(cps_array, &cps_n)
    cdef const uint16_t* properties = read_uint16(properties_array, &properties_n)
    cdef Py_ssize_t runs = count_n, n = gid_n, r, g, at = 0, fonts = 1
    cdef uint16_t value
    if run_level_n != runs or run_font_n != runs:
        raise ValueError("count, run_level and run_font differ in length")
    for r in range(runs):
        if count[r] < 0:
            raise ValueError("a run has a negative glyph count")
        if run_font[r] < 0:
            raise ValueError("a run has a negative font index")
        at += count[r]
        fonts = max(fonts, run_font[r] + 1)
    if at != n or cluster_n != n or advance_n != n or x_offset_n != n or y_offset_n != n:
        raise ValueError("the glyph columns and the runs' glyph counts differ")
    for g in range(n):
        if gid[g] == 0 and (cluster[g] < 0 or cluster[g] >= cps_n or cps[cluster[g]] >= properties_n):
            raise IndexError(f"glyph {g} has no character in the text")
        if gid[g] == 0 and properties[cps[cluster[g]]] == unseen:
            return None
    start_array = new_array(runs + 1, cnp.NPY_INT64)
    level_array = new_array(n, cnp.NPY_INT8)
    font_array = new_array(n, cnp.NPY_INT32)
    cdef int64_t* start = write_int64(start_array, NULL)
    cdef int8_t* level = write_int8(level_array, NULL)
    cdef int32_t* font = write_int32(font_array, NULL)
    drawn_array = new_zeros(fonts, cnp.NPY_UINT8)
    cdef uint8_t* drawn = write_uint8(drawn_array, NULL)
    at = 0
    with nogil:
        for r in range(runs):
            start[r] = at
            for g in range(at, at + count[r]):
                level[g] = run_level[r]
                font[g] = run_font[r]
            at += count[r]
        start[runs] = at
        for g in range(n):
            if gid[g] == 0:
                value = properties[cps[cluster[g]]]
                if value & invisible:
                    gid[g] = hidden
                    advance[g] = 0
                    x_offset[g] = 0
                    y_offset[g] = 0
            if gid[g] != hidden:
                drawn[font[g]] = 1
    drawn_fonts = tuple([f for f in range(fonts) if drawn[f]]) or (0,)
    return start_array, level_array, font_array, drawn_fonts
