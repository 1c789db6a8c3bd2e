"""The compiled passes read their array arguments as C pointers (`pixtok/render/_arrays.pxd`),
checked as the typed memoryviews they replace were checked: a numpy array, one-dimensional (or
two with contiguous rows where a pass takes a table), C-contiguous, of the element type in
native byte order, and writable where the pass writes. Anything else is refused with an error
before a byte is read, and equivalent types (np.longlong for int64) are taken.
"""

from __future__ import annotations

import numpy as np
import pytest

from pixtok.render import _breaks, _composite, _glyph_boxes, _glyph_pixels, _layout, _shape

NO_INDEX = np.zeros(0, dtype=np.int64)


def find_slots(font: object, gid: object, table: object, slots: object) -> int:
    """`find_slots` over one font's table (`table_start` [0, len(table)])."""
    start = np.array([0, 8], dtype=np.int64)
    return _glyph_boxes.find_slots(font, gid, False, NO_INDEX, table, start, slots)


def arguments() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    font = np.zeros(3, dtype=np.int32)
    gid = np.array([1, 5, 7], dtype=np.int32)
    table = np.arange(8, dtype=np.int64) * 10
    return font, gid, table, np.empty(3, dtype=np.int64)


def test_arrays_of_the_right_kind_are_read_and_written() -> None:
    font, gid, table, slots = arguments()
    assert find_slots(font, gid, table, slots) == 0
    assert slots.tolist() == [10, 50, 70]
    # The same element type under another name (long long is int64 here) is the same data.
    assert find_slots(font, gid, table.astype(np.longlong), slots) == 0


@pytest.mark.parametrize(
    ("change", "error", "message"),
    [
        (lambda a: a.astype(np.int32), ValueError, "dtype mismatch"),  # int64 expected
        (lambda a: a.astype(np.uint64), ValueError, "dtype mismatch"),  # signed expected
        (lambda a: a.astype(np.float64), ValueError, "dtype mismatch"),
        (lambda a: a.astype(">i8"), ValueError, "dtype mismatch"),  # not native byte order
        (lambda a: np.repeat(a, 2)[::2], ValueError, "C-contiguous"),
        (lambda a: a.reshape(2, 4), ValueError, "dimensions"),
        (lambda a: a.tolist(), TypeError, "numpy array"),
        (lambda a: a.tobytes(), TypeError, "numpy array"),
    ],
)
def test_a_table_of_another_kind_is_refused(change, error, message) -> None:
    font, gid, table, slots = arguments()
    with pytest.raises(error, match=message):
        find_slots(font, gid, change(table), slots)


def test_an_array_a_pass_writes_must_be_writable() -> None:
    font, gid, table, slots = arguments()
    slots.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        find_slots(font, gid, table, slots)
    # Read-only arrays are fine where the pass only reads.
    table.flags.writeable = False
    assert find_slots(font, gid, table, np.empty(3, dtype=np.int64)) == 0


def test_empty_arrays_and_arrays_of_one_element_are_taken() -> None:
    assert _breaks.forced_breaks(np.zeros(0, dtype=np.uint32)).tolist() == [0]
    assert _breaks.forced_breaks(np.array([10], dtype=np.uint32)).tolist() == [1]
    # A one-element view with any stride is contiguous.
    assert _breaks.forced_breaks(np.array([65, 66, 10], dtype=np.uint32)[::5]).tolist() == [1]
    boxes = _glyph_boxes.glyph_boxes(
        NO_INDEX, np.zeros(0), np.zeros(0), NO_INDEX, NO_INDEX, NO_INDEX, NO_INDEX
    )
    assert boxes.shape == (4, 0)


def test_the_glyph_fields_may_be_columns_cut_from_a_wider_table() -> None:
    """`rasterize` writes per-glyph values into columns of the atlas's pool (rows contiguous,
    rows apart by the pool's capacity); a table whose rows are not contiguous is refused."""
    pool = np.full((len(_glyph_pixels.GLYPH_FIELDS), 10), -7, dtype=np.int64)
    table = np.full(4, -1, dtype=np.int64)
    ids = np.zeros(0, dtype=np.int64)
    bitmaps, oversized = _glyph_pixels.rasterize(
        0, 0, 0, 0, (0,) * 7, ids, 0, 0, 0, pool[:, 3:3], table, 3, 0
    )
    assert len(bitmaps) == 0 and oversized == -1 and (pool == -7).all()
    two = np.array([0, 1], dtype=np.int64)  # refused before FreeType is called
    with pytest.raises(ValueError, match="contiguous rows"):
        _glyph_pixels.rasterize(0, 0, 0, 0, (0,) * 7, two, 0, 0, 0, pool[:, ::2][:, :2], table, 3, 0)
    with pytest.raises(ValueError, match="a row per field"):
        _glyph_pixels.rasterize(0, 0, 0, 0, (0,) * 7, ids, 0, 0, 0, pool[:3, 3:3], table, 3, 0)


def test_glyph_columns_a_pass_rewrites_are_checked_like_the_others() -> None:
    count = np.array([2], dtype=np.int64)
    level = np.zeros(1, dtype=np.int8)
    font = np.zeros(1, dtype=np.int32)
    gid = np.array([5, 6], dtype=np.int32)
    cluster = np.array([0, 1], dtype=np.int64)
    columns = [np.zeros(2, dtype=np.int32) for _ in range(3)]
    cps = np.array([65, 66], dtype=np.uint32)
    properties = np.zeros(128, dtype=np.uint16)
    found = _shape.run_columns(count, level, font, gid, cluster, *columns, cps, properties, 1, 2, -1)
    assert found[0].tolist() == [0, 2] and found[3] == (0,)
    gid.flags.writeable = False  # the pass hides glyphs in place
    with pytest.raises(ValueError, match="read-only"):
        _shape.run_columns(count, level, font, gid, cluster, *columns, cps, properties, 1, 2, -1)
    with pytest.raises(ValueError, match="dtype mismatch"):
        _layout.splice_glyphs(np.zeros(0, dtype=np.int32), (gid,) * 8, (gid,) * 8)


def test_columns_that_differ_in_length_or_point_past_the_tables_are_refused() -> None:
    """The pointers carry no lengths, so each pass compares the lengths of the columns it reads
    together, and where an index into a table comes from the caller, checks it, before it reads
    or writes a byte."""
    ink = np.full(4 * 6, 255, dtype=np.uint8)  # one 4 x 6 page
    one = np.zeros(1, dtype=np.int64)
    atlas = (one, one, np.ones(1, dtype=np.int64), np.ones(1, dtype=np.int64), np.zeros(1, dtype=np.uint8))

    def composite(slots: np.ndarray, left: np.ndarray, page: np.ndarray) -> object:
        return _composite.composite(ink, 4, 6, slots, left, one, page, *atlas, True, False)

    assert composite(one, one, NO_INDEX)[:2] == (0, 6)  # the glyph's one row drawn
    with pytest.raises(ValueError, match="differ in length"):
        composite(one, np.zeros(2, dtype=np.int64), NO_INDEX)
    with pytest.raises(IndexError, match="no slot"):
        composite(np.array([1], dtype=np.int64), one, NO_INDEX)
    with pytest.raises(IndexError, match="beyond the pages"):
        composite(one, one, np.array([1], dtype=np.int64))
    # A bitmap that reaches past the pixels given (1 x 2 bytes from the last one) is refused by
    # every pass that reads bitmaps, before it reads one.
    past = (one, one, np.ones(1, dtype=np.int64), np.full(1, 2, dtype=np.int64), atlas[4])
    with pytest.raises(IndexError, match="outside the pixels"):
        _composite.composite(ink, 4, 6, one, one, one, NO_INDEX, *past, True, False)
    sizes = np.ones(1, dtype=np.int64)
    with pytest.raises(IndexError, match="outside the pixels"):
        _composite.clipped_ink(one, one, one, one, sizes, sizes, one, *past[2:4], one, past[4])
    with pytest.raises(IndexError, match="outside the pixels"):
        _composite.inked_patches(
            one, one, one, one, np.array([[6, 4]]), np.array([[1, 1]]), one, *past[2:], 16
        )
    # Atlas columns of different lengths (a height for a second slot) are refused by each pass.
    short = (one, one, np.ones(1, dtype=np.int64), np.ones(2, dtype=np.int64), atlas[4])
    with pytest.raises(ValueError, match="atlas's columns differ"):
        _composite.composite(ink, 4, 6, one, one, one, NO_INDEX, *short, True, False)
    with pytest.raises(ValueError, match="atlas's columns differ"):
        _composite.clipped_ink(one, one, one, one, sizes, sizes, one, *short[2:4], one, short[4])
    with pytest.raises(ValueError, match="atlas's columns differ"):
        _composite.inked_patches(
            one, one, one, one, np.array([[6, 4]]), np.array([[1, 1]]), one, *short[2:], 16
        )
    advances = np.ones(3, dtype=np.int32)
    with pytest.raises(ValueError, match="glyph columns differ"):
        _layout.glyph_advances(
            advances, np.zeros(2, dtype=np.int32), np.ones(1), 16.0, np.arange(3, dtype=np.int64),
            advances, np.zeros(0, dtype=np.uint8), 0.0, -1,
        )  # fmt: skip


def test_flags_are_read_from_bool_or_uint8_arrays_alike() -> None:
    """Flags a pass reads (where a line may start, a paragraph's first and last line) come as
    numpy bool from the passes that make them and may come as uint8: both are read as they
    are, with the same result; any other element type is refused."""

    def edge_pieces(boundary: np.ndarray) -> list[list[int]]:
        at = np.array([2], dtype=np.int64)  # a line break before character 2, of 4
        next_start = np.array([2, 4], dtype=np.int64)
        lines = (np.array([0, 2], dtype=np.int64), np.array([2, 4], dtype=np.int64))
        run = (np.zeros(1, dtype=np.int64), np.full(1, 4, dtype=np.int64))
        glyph_flags = np.array([0, 0, 1, 0], dtype=np.uint8)  # glyph 2 unsafe to break before
        glyph = np.arange(5, dtype=np.int64)
        pieces = _layout.edge_pieces(at, next_start, *run, *lines, boundary, glyph, glyph_flags, 1, 64)
        return pieces.tolist()

    flags = np.ones(5, dtype=bool)
    assert edge_pieces(flags) == edge_pieces(flags.view(np.uint8)) == [[1, 2, 0], [2, 3, 0]]
    for other in (np.int8, np.uint16, np.float64):
        with pytest.raises(ValueError, match="dtype mismatch"):
            edge_pieces(flags.astype(other))
