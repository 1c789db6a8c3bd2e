"""Placed glyphs to pixels: each distinct glyph is rendered once by FreeType into a cache, and
pages are composited from the cached glyph pixels in one compiled loop (`_composite`).

Coverage ("ink", 0-255) is composited first; colours are applied once per page at the end.
Pen positions are rounded to whole pixels, so the same glyph always leaves the same pixels,
which is what makes pages byte-identical from run to run.
"""

from __future__ import annotations

import ctypes
import math
import os
import sys
import threading
import weakref
from dataclasses import dataclass

import freetype
import numpy as np

from pixtok import limits
from pixtok.errors import FontError
from pixtok.io import shorten
from pixtok.render import _composite, _glyph_boxes, _glyph_pixels
from pixtok.render.fonts import Font

_LOAD_FLAGS = freetype.FT_LOAD_DEFAULT
#: FreeType's functions that draw a glyph, from freetype-py's library handle, and where the
#: glyph slot and bitmap fields lie (from freetype-py's declarations of those structures).
_FREETYPE_LOAD_GLYPH = ctypes.cast(freetype.raw.FT_Load_Glyph, ctypes.c_void_p).value
_FREETYPE_RENDER_GLYPH = ctypes.cast(freetype.raw.FT_Render_Glyph, ctypes.c_void_p).value
_FREETYPE_LAYOUT = (
    freetype.ft_structs.FT_GlyphSlotRec.bitmap.offset,
    freetype.ft_structs.FT_GlyphSlotRec.bitmap_left.offset,
    freetype.ft_structs.FT_GlyphSlotRec.bitmap_top.offset,
    freetype.ft_structs.FT_Bitmap.rows.offset,
    freetype.ft_structs.FT_Bitmap.width.offset,
    freetype.ft_structs.FT_Bitmap.pitch.offset,
    freetype.ft_structs.FT_Bitmap.buffer.offset,
)


#: The pixels a set of glyphs leaves on pages: (flat index into the pages, value) per chunk.
Stamp = list[tuple[np.ndarray, np.ndarray]]


@dataclass
class GlyphPixels:
    """Where a placed glyph's bitmap lands: left/top of its box in page pixels, and its size."""

    left: np.ndarray
    top: np.ndarray
    width: np.ndarray
    height: np.ndarray


class GlyphAtlas:
    """Bitmaps of glyphs at one size and horizontal scale, for a list of fonts, rendered on demand.

    The cache keeps the bitmap of each glyph (rows of its width, one after the other) in one
    flat pool, so a page is built by copying rows out of the pool. `fonts` is the font chain's
    own list: a chain that gains fonts between renders is followed.
    """

    def __init__(
        self, fonts: list[Font], size_px: float, hscale: float = 1.0, page_pixels: int | None = None
    ) -> None:
        self.fonts = fonts
        self.size_px = size_px
        self.hscale = hscale
        #: Pixels of the page the glyphs are drawn on, when known (see `_glyph_bound`).
        self.page_pixels = page_pixels
        self._faces: list[freetype.Face | None] = []
        self._face_addresses: dict[int, tuple[int, int]] = {}  # FT_Face and its glyph slot, per font
        # Cache slot per glyph id (-1: not rendered yet), the tables of all fonts end to end
        # (font f's from _table_start[f] to _table_start[f + 1]), for one compiled lookup.
        self._slot_table = _Pool(np.int64)
        self._table_start = np.zeros(1, dtype=np.int64)
        # Pixels of all glyphs, and per glyph (in the order `rasterize` gives them): first
        # pixel, pixel count, bearings, size, ink.
        self._bitmaps = _Pool(np.uint8)
        self._glyphs = _Pool(np.int64, rows=len(_glyph_pixels.GLYPH_FIELDS))
        self._pooled = -1
        self._arrays: dict[str, np.ndarray] = {}

    def _table(self, font_index: int) -> np.ndarray:
        """Cache slot per glyph id of a font (-1: not rendered yet), made for it and every
        font before it in the chain if need be: a view, good until another font's table is added."""
        while len(self._faces) <= font_index:
            glyph_count = self.fonts[len(self._faces)].hb_face.glyph_count
            self._slot_table.extend(np.full(glyph_count, -1, dtype=np.int64))
            self._table_start = np.append(self._table_start, len(self._slot_table))
            self._faces.append(None)
        return self._slot_table.view()[self._table_start[font_index] : self._table_start[font_index + 1]]

    def _face(self, font_index: int) -> freetype.Face:
        self._table(font_index)
        face = self._faces[font_index]
        if face is None:
            face = self.fonts[font_index].freetype_face()
            face.set_char_size(max(1, round(self.size_px * 64)), 0, 72, 72)
            if self.hscale != 1.0:
                matrix = freetype.Matrix(round(self.hscale * 0x10000), 0, 0, 0x10000)
                face.set_transform(matrix, freetype.Vector(0, 0))
            self._faces[font_index] = face
            self._face_addresses[font_index] = (
                ctypes.cast(face._FT_Face, ctypes.c_void_p).value,
                ctypes.cast(face._FT_Face.contents.glyph, ctypes.c_void_p).value,
            )
        return face

    def _render(self, font_index: int, gids: np.ndarray) -> None:
        """Render glyphs (int64 ids) into the pools: FreeType draws each, and its bitmap is
        kept, in one compiled loop (`_glyph_pixels`). A glyph larger than `_glyph_bound` is
        refused before FreeType draws it."""
        self._face(font_index)
        ft_face, slot = self._face_addresses[font_index]
        first_slot = len(self._glyphs)
        max_pixels = self._glyph_bound()
        bitmaps, oversized = _glyph_pixels.rasterize(
            _FREETYPE_LOAD_GLYPH, _FREETYPE_RENDER_GLYPH, ft_face, slot, _FREETYPE_LAYOUT,
            gids, len(self._bitmaps), _LOAD_FLAGS, freetype.FT_RENDER_MODE_NORMAL,
            self._glyphs.claim(len(gids)), self._table(font_index), first_slot, max_pixels,
        )  # fmt: skip
        self._bitmaps.extend(bitmaps)
        if oversized >= 0:
            self._refuse(font_index, int(gids[oversized]), max_pixels)

    def _glyph_bound(self) -> int:
        """The most pixels a glyph's bitmap may have: what a page may (the `page-pixels` limit)
        and, the page being known, four of those pages or a square of four em, whichever is
        more. The atlas keeps every glyph it draws, and a font whose outlines reach far outside
        its em square would fill it with gigabytes (a 32,767-unit glyph in a 16-unit em is a
        1 GB bitmap at 16 px); a text's own glyphs, even set larger than a small page, fit."""
        limit = limits.current().page_pixels
        if self.page_pixels is None:
            return limit
        return min(limit, max(4 * self.page_pixels, math.ceil(4 * self.size_px) ** 2))

    def _refuse(self, font_index: int, gid: int, max_pixels: int) -> None:
        """Raise the FontError of a glyph FreeType would draw larger than `max_pixels`."""
        bitmap = self._faces[font_index].glyph.bitmap  # as the compiled loop left it: loaded
        font = self.fonts[font_index]
        limit = limits.current().page_pixels
        bound = (
            f"more pixels than a whole page may have (the page-pixels limit, {limit:,}; raise it "
            f"with `pixtok --limit page-pixels=N ...`, {limits.DOCS})"
            if max_pixels == limit
            else f"more than {max_pixels:,} pixels (four of its {self.page_pixels:,}-pixel pages, "
            "or a square of four em)"
        )
        raise FontError(
            f"{shorten(str(font.path))}: glyph {gid} would be a {bitmap.width}x{bitmap.rows} px "
            f"bitmap at {self.size_px:g} px, {bound}; the font's outlines are far outside its em square"
        )

    def slots(self, font: np.ndarray, gid: np.ndarray, index: np.ndarray | None = None) -> np.ndarray:
        """Cache slot of each (font, glyph) pair (of the pairs at `index`, when given), rendering
        the ones not seen before. `font` and `gid` are int32 and `index` int64, as shaping and
        placement give them (the compiled lookup takes them as they are).

        Glyphs new to the atlas are rendered font by font in the order of the font index, each
        font's in the order of glyph id, so that a text's glyphs always get the same slots.
        """
        picked = _NO_INDEX if index is None else index
        slots = np.empty(len(gid) if index is None else len(picked), dtype=np.int64)
        lookup = (font, gid, index is not None, picked)
        if _glyph_boxes.find_slots(*lookup, self._slot_table.view(), self._table_start, slots):
            fonts, bounds, new = _glyph_boxes.new_glyphs(*lookup, slots)
            for j, font_index in enumerate(fonts):
                self._render(font_index, new[bounds[j] : bounds[j + 1]])
            _glyph_boxes.find_slots(*lookup, self._slot_table.view(), self._table_start, slots)
        return slots

    def arrays(self) -> dict[str, np.ndarray]:
        """Pooled pixel data of all cached glyphs (views of pools that grow in place)."""
        if self._pooled != len(self._glyphs):
            # Rows by index: iterating a 2-D array ends in a formatted IndexError.
            rows = self._glyphs.view()
            self._arrays = {name: rows[k] for k, name in enumerate(_glyph_pixels.GLYPH_FIELDS)}
            self._arrays["bitmaps"] = self._bitmaps.view()
            self._pooled = len(self._glyphs)
        return self._arrays

    def boxes(self, slots: np.ndarray, x: np.ndarray, baseline: np.ndarray) -> GlyphPixels:
        """Bitmap boxes of glyphs (int64 slots) placed at pen x / baseline (float64 px), the pen
        rounded to whole pixels (half to even, as `np.rint`)."""
        a = self.arrays()
        rows = _glyph_boxes.glyph_boxes(slots, x, baseline, a["left"], a["top"], a["w"], a["h"])
        return GlyphPixels(left=rows[0], top=rows[1], width=rows[2], height=rows[3])

    def composite(
        self,
        ink: np.ndarray,
        slots: np.ndarray,
        left: np.ndarray,
        top: np.ndarray,
        page: np.ndarray | None = None,
        dark: bool = False,
        keep: bool = False,
    ) -> tuple[Stamp | None, tuple[int, int]]:
        """Add glyph coverage into uint8 ink pages, keeping the maximum where glyphs overlap.
        `slots` (from `slots`), `left`, `top` (from `boxes`) and `page` are int64.

        `ink` is (H, W), or (N, H, W) with `page` giving each glyph's index into it: compositing
        many pages in one call. With `dark`, `ink` holds 255 minus the coverage (black text on a
        white page, drawn in place) and keeps the minimum. Pixels outside their page are left
        out. With `keep`, the pixels drawn are returned as a `Stamp`, which `press` draws again
        at the cost of the scatter alone. Also returns the [start, end) flat offsets of `ink`
        of the whole rows drawn on (start >= end: none).
        """
        a = self.arrays()
        height, width = ink.shape[-2:]
        start, end, kept = _composite.composite(
            ink.reshape(-1), height, width, slots, left, top, _NO_PAGE if page is None else page,
            a["start"], a["count"], a["w"], a["h"], a["bitmaps"], dark, keep,
        )  # fmt: skip
        if kept is None:
            return None, (start, end)
        flat, values = kept
        return [(flat.astype(np.int32) if ink.size < 2**31 else flat, values)], (start, end)

    @staticmethod
    def press(ink: np.ndarray, stamp: Stamp, dark: bool = False) -> tuple[int, int]:
        """Draw the pixels of a kept `Stamp` into pages shaped as those it was taken from;
        returns the [start, end) flat offsets of `ink` drawn on (start >= end: none)."""
        start, end = ink.size, 0
        for flat, values in stamp:
            first, last = _composite.press(ink.reshape(-1), flat, values, dark)
            start, end = min(start, first), max(end, last)
        return start, end

    def clipped_ink(
        self,
        slots: np.ndarray,
        left: np.ndarray,
        top: np.ndarray,
        page: np.ndarray,
        page_width: np.ndarray,
        page_height: np.ndarray,
    ) -> tuple[int, int]:
        """(coverage falling outside the pages, all coverage) of placed glyphs: glyph `i` lies
        on page `page[i]`, of `page_width[page[i]]` x `page_height[page[i]]` px. Coverage is
        summed before glyphs overlap."""
        a = self.arrays()
        return _composite.clipped_ink(
            _int64(slots), _int64(left), _int64(top), _int64(page), _int64(page_width), _int64(page_height),
            a["start"], a["w"], a["h"], a["ink"], a["bitmaps"],
        )  # fmt: skip

    def inked_patches(
        self,
        slots: np.ndarray,
        left: np.ndarray,
        top: np.ndarray,
        page: np.ndarray,
        page_sizes: list[tuple[int, int]],
        grids: list[tuple[int, int]],
        patch: int,
    ) -> list[np.ndarray]:
        """Which `patch` x `patch` squares of each page (width, height), cut into a grid of
        (rows, cols), the placed glyphs leave ink in, as (rows, cols) bool arrays: the squares
        of a page drawn black on white whose pixels are not all white (partial squares at the
        right and bottom edges count the page's pixels only), read from the glyph bitmaps
        without drawing the page."""
        a = self.arrays()
        sizes, cuts = (
            np.array([n for pair in pairs for n in pair], dtype=np.int64).reshape(-1, 2)
            for pairs in (page_sizes, grids)
        )
        mask, first = _composite.inked_patches(
            _int64(slots), _int64(left), _int64(top), _int64(page), sizes, cuts,
            a["start"], a["w"], a["h"], a["bitmaps"], int(patch),
        )  # fmt: skip
        inked, bounds = mask.view(bool), first.tolist()
        return [inked[bounds[k] : bounds[k + 1]].reshape(grid) for k, grid in enumerate(grids)]


def _int64(values: np.ndarray | int) -> np.ndarray:
    """A contiguous int64 array of `values` (no copy when it already is one)."""
    return np.ascontiguousarray(values, dtype=np.int64)


_NO_PAGE = _NO_INDEX = np.empty(0, dtype=np.int64)


class _Pool:
    """A numpy array that grows in place along its last axis (capacity doubles), so appending
    is amortised O(1). With `rows`, it is `rows` arrays of one length that grow together, kept
    as the rows of one 2D array: a batch of all of them is appended in one copy, and each row
    viewed is contiguous."""

    def __init__(self, dtype: type, rows: int | None = None) -> None:
        self._data = np.empty(1024 if rows is None else (rows, 1024), dtype=dtype)
        self._size = 0

    def __len__(self) -> int:
        return self._size

    def _reserve(self, extra: int) -> None:
        capacity = self._data.shape[-1]
        if self._size + extra > capacity:
            shape = (*self._data.shape[:-1], max(2 * capacity, self._size + extra))
            grown = np.empty(shape, dtype=self._data.dtype)
            grown[..., : self._size] = self._data[..., : self._size]
            self._data = grown

    def extend(self, values: np.ndarray) -> None:
        self.claim(values.shape[-1])[...] = values

    def claim(self, count: int) -> np.ndarray:
        """Grow by `count` entries (per row) and return them, to be filled in place."""
        self._reserve(count)
        self._size += count
        return self._data[..., self._size - count : self._size]

    def view(self) -> np.ndarray:
        return self._data[..., : self._size]


def grey_level(rgb: tuple[int, int, int]) -> int:
    """The grey level of a colour (ITU-R 601 luma, as Pillow converts RGB to L)."""
    return round(0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2])


def draws_dark_on_white(
    foreground: tuple[int, int, int], background: tuple[int, int, int], mode: str
) -> bool:
    """Whether pages are black text on white grey pages: then glyphs are drawn into the page
    itself (`GlyphAtlas.composite(dark=True)`), with no coverage buffer and no colour pass."""
    return mode == "L" and grey_level(foreground) == 0 and grey_level(background) == 255


def colorize(
    ink: np.ndarray, foreground: tuple[int, int, int], background: tuple[int, int, int], mode: str
) -> np.ndarray:
    """Turn coverage into pages: grey `L` (..., H, W), `RGB` (..., H, W, 3), or `1` (0/255
    after a 50% threshold). Black on white, the common case, reuses the ink buffer."""
    if mode == "1":
        ink = np.where(ink >= 128, 255, 0).astype(np.uint8)
    if mode in ("L", "1"):
        fg, bg = grey_level(foreground), grey_level(background)
        if fg == 0 and bg == 255:
            return np.subtract(255, ink, out=ink)
        return _blend(ink, fg, bg)
    return np.stack([_blend(ink, f, b) for f, b in zip(foreground, background, strict=True)], axis=-1)


def _blend(ink: np.ndarray, fg: int, bg: int) -> np.ndarray:
    value = (bg * 255 + (fg - bg) * ink.astype(np.int32) + 127) // 255
    return value.astype(np.uint8)


class PageBuffers:
    """Blank page buffers that are used again once nothing outside this pool holds them.

    A fresh page of a few hundred KB costs more in page faults (the kernel mapping and zeroing
    its memory) than in filling it; a page the caller has let go of is already mapped. Buffers
    are flat and pages are views of them, so a buffer serves any page size up to its own (a
    cropped page has the size of its text). A buffer is taken again only when its reference
    count shows that no page, view or export of it is alive (every numpy view and buffer
    export holds a reference to the array that owns the memory), so a page the caller keeps is
    never drawn over. At most `count` buffers are kept. A pool may be shared between threads:
    a buffer is handed out under a lock, so two threads never take the same one; a child
    process forked while another thread held that lock gets a lock of its own.

    Making a page blank again costs as much as drawing a page of text (the buffer has left the
    caches by then), so the pool remembers what each buffer holds: blank up to some length
    but for one span. A page handed out is all that span until its drawer says, with `drawn`,
    which part it drew on; only that part is made blank for the buffer's next page. `drawn` is
    for pages that are then handed on read-only, so that nothing else writes into them.
    """

    #: Buffers are made in whole steps of this many bytes, so that pages of nearby sizes share them.
    STEP = 64 << 10

    def __init__(self, count: int = 4) -> None:
        self._count = count
        self._buffers: list[np.ndarray] = []
        # Per buffer (by id, which holds no reference): the value it is blank with, the length
        # it is blank to, and the [start, end) span within that may hold anything.
        self._blank: dict[int, tuple[int, int, int, int]] = {}
        self._lock = threading.Lock()
        if hasattr(os, "register_at_fork"):
            pool = weakref.ref(self)
            os.register_at_fork(after_in_child=lambda: _renew_lock(pool))

    def blank(self, shape: tuple[int, ...], value: int) -> np.ndarray:
        """A C-contiguous uint8 array of `shape` with every byte `value`: a view of a released
        buffer no more than twice its size, or of a new buffer."""
        size = math.prod(shape)
        with self._lock:
            buffer = self._take(size)
            if buffer is None:
                buffer = np.empty(-(-size // self.STEP) * self.STEP, dtype=np.uint8)
                if len(self._buffers) >= self._count:
                    self._blank.pop(id(self._buffers.pop(0)), None)
                self._buffers.append(buffer)
            stale, length = self._stale(buffer, size, value)
            self._blank[id(buffer)] = (value, length, 0, size)
        for start, end in stale:
            buffer[start:end].fill(value)
        return buffer[:size].reshape(shape)

    def clear(self) -> None:
        """Let go of every buffer (pages still held keep theirs)."""
        with self._lock:
            self._buffers.clear()
            self._blank.clear()

    def drawn(self, page: np.ndarray, start: int, end: int) -> None:
        """Say that of `page` (as `blank` gave it) only the flat bytes [start, end) were
        written, and that nothing will write into it after: the rest stays blank."""
        buffer = page.base
        with self._lock:
            known = self._blank.get(id(buffer))
            if known is None:  # not one of this pool's buffers
                return
            value, length, _, size = known  # the span handed out is [0, size)
            self._blank[id(buffer)] = (value, length, max(start, 0), min(end, size))

    def _stale(self, buffer: np.ndarray, size: int, value: int) -> tuple[list[tuple[int, int]], int]:
        """The spans of `buffer` to fill for `size` bytes of `value`, and the length it is
        then blank to."""
        known = self._blank.get(id(buffer))
        if known is None or known[0] != value:
            return [(0, size)], size
        _, length, start, end = known
        stale = [(start, end)] if start < end else []
        if size > length:
            stale.append((length, size))
        return stale, max(length, size)

    def _take(self, size: int) -> np.ndarray | None:
        """A released buffer that fits `size` bytes, or None."""
        for buffer in self._buffers:
            if size <= len(buffer) <= 2 * size + self.STEP and self._references(buffer) == _IDLE_REFERENCES:
                return buffer
        return None

    @staticmethod
    def _references(buffer: np.ndarray) -> int:
        """What `sys.getrefcount` says of a buffer asked from `blank`'s loop (the count an
        interpreter reports for the references it holds itself varies between versions, so
        the count of an idle buffer is measured the same way, below)."""
        return sys.getrefcount(buffer)


def _renew_lock(pool: weakref.ref[PageBuffers]) -> None:
    """In a forked child, a fresh lock for a pool (the parent's may have been held by a thread
    the child does not have)."""
    alive = pool()
    if alive is not None:
        alive._lock = threading.Lock()


def _idle_references() -> int:
    """The count `PageBuffers._references` gives for a buffer only the pool holds, asked as
    `_take` asks it: from a loop over the pool's list."""
    pool = PageBuffers()
    pool._buffers.append(np.empty(1, dtype=np.uint8))
    for buffer in pool._buffers:
        return pool._references(buffer)
    raise AssertionError("unreachable")


_IDLE_REFERENCES = _idle_references()
