"""HarfBuzz's glyph arrays read straight into numpy, without a Python object per glyph.

uharfbuzz hands back a shaped buffer as lists of `GlyphInfo` and `GlyphPosition` objects, one
of each per glyph: building them costs about twice what HarfBuzz spends shaping. Its extension
module also exports HarfBuzz's whole C API, so this module calls that same HarfBuzz (the library
uharfbuzz already loaded, not a second copy and not the system's) through ctypes: it fills a
buffer from the text's UTF-32 code points, shapes it, and copies `hb_glyph_info_t` and
`hb_glyph_position_t` (20 bytes each, see hb-buffer.h) into numpy columns; the loop over runs
and glyphs is compiled (`_shape`), with the addresses ctypes finds for these functions.

Where a uharfbuzz build does not export these symbols, the uharfbuzz objects are read instead
(`UharfbuzzShaper`); both give identical arrays, which the tests check on every corpus text.

Every item is shaped with the text around it as context (up to five characters either side, as
HarfBuzz keeps them); to shape a piece alone, give it alone. Clusters are offsets in the code
point array; glyphs come in HarfBuzz's order (visual order for right-to-left items).
"""

from __future__ import annotations

import ctypes
import functools
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import repeat
from operator import and_, attrgetter
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
import uharfbuzz as hb

from pixtok.render._shape import shape_items
from pixtok.render.fonts import Font

if TYPE_CHECKING:
    from pixtok.render.itemize import Runs

UNSAFE_TO_BREAK = int(hb.GlyphFlags.UNSAFE_TO_BREAK)
#: Every glyph maps back to the characters of its cluster; clusters never decrease in logical
#: order (HB_BUFFER_CLUSTER_LEVEL_MONOTONE_GRAPHEMES).
CLUSTER_LEVEL = int(hb.BufferClusterLevel.MONOTONE_GRAPHEMES)
_LTR, _RTL = 4, 5  # HB_DIRECTION_LTR, HB_DIRECTION_RTL (hb-common.h)


class Item(NamedTuple):
    """A stretch of text to shape in one call: [start, end) code point offsets, the font, the
    direction, the ISO 15924 script (None: HarfBuzz guesses it) and a BCP 47 language ("": the
    default language system)."""

    start: int
    end: int
    font: Font
    rtl: bool
    script: str | None
    language: str


@dataclass
class GlyphRecords:
    """Shaped glyphs of many items, concatenated in item order, each item in HarfBuzz's order.

    `cluster` is the code point offset of the glyph's cluster in the whole text; `flags` are
    HarfBuzz's glyph flags (bit 0: unsafe to break before this cluster); `count` is the number
    of glyphs of each item.
    """

    gid: np.ndarray
    cluster: np.ndarray
    flags: np.ndarray
    x_advance: np.ndarray
    x_offset: np.ndarray
    y_offset: np.ndarray
    count: np.ndarray

    def __len__(self) -> int:
        return len(self.gid)


class _SegmentProperties(ctypes.Structure):
    """hb_segment_properties_t: direction, script, language and two reserved pointers."""

    _fields_ = [
        ("direction", ctypes.c_int),
        ("script", ctypes.c_uint32),
        ("language", ctypes.c_void_p),
        ("reserved1", ctypes.c_void_p),
        ("reserved2", ctypes.c_void_p),
    ]


def _c_library() -> ctypes.CDLL | None:
    """uharfbuzz's extension module as a C library, with the signatures used here (from
    HarfBuzz's headers), or None when it does not export them."""
    import uharfbuzz._harfbuzz as extension

    try:
        lib = ctypes.CDLL(extension.__file__)
        p, u, i = ctypes.c_void_p, ctypes.c_uint, ctypes.c_int
        signatures: dict[str, tuple[Any, list[Any]]] = {
            "hb_blob_create_from_file_or_fail": (p, [ctypes.c_char_p]),
            "hb_blob_destroy": (None, [p]),
            "hb_face_create": (p, [p, u]),
            "hb_face_destroy": (None, [p]),
            "hb_font_create": (p, [p]),
            "hb_font_destroy": (None, [p]),
            "hb_buffer_create": (p, []),
            "hb_buffer_destroy": (None, [p]),
            "hb_buffer_allocation_successful": (i, [p]),
            "hb_buffer_set_cluster_level": (None, [p, i]),
            "hb_buffer_clear_contents": (None, [p]),
            "hb_buffer_add_utf32": (None, [p, p, i, u, i]),
            "hb_buffer_set_segment_properties": (None, [p, ctypes.POINTER(_SegmentProperties)]),
            "hb_buffer_guess_segment_properties": (None, [p]),
            "hb_buffer_get_glyph_infos": (p, [p, ctypes.POINTER(u)]),
            "hb_buffer_get_glyph_positions": (p, [p, ctypes.POINTER(u)]),
            "hb_language_from_string": (p, [ctypes.c_char_p, i]),
            "hb_script_from_string": (ctypes.c_uint32, [ctypes.c_char_p, i]),
            "hb_shape": (None, [p, p, p, u]),
        }
        for name, (restype, argtypes) in signatures.items():
            function = getattr(lib, name)
            function.restype = restype
            function.argtypes = argtypes
    except (OSError, AttributeError):
        return None
    return lib


#: The functions `_shape.shape_items` calls, in the order it takes their addresses.
_SHAPING_FUNCTIONS = (
    "hb_buffer_clear_contents",
    "hb_buffer_add_utf32",
    "hb_buffer_set_segment_properties",
    "hb_buffer_guess_segment_properties",
    "hb_shape",
    "hb_buffer_allocation_successful",
    "hb_buffer_get_glyph_infos",
    "hb_buffer_get_glyph_positions",
)


class CShaper:
    """Shapes items with HarfBuzz's C API: the library's functions, called from a compiled loop
    that copies the glyphs out whole."""

    def __init__(self, lib: ctypes.CDLL) -> None:
        self._lib = lib
        self._buffer = lib.hb_buffer_create()
        if not lib.hb_buffer_allocation_successful(self._buffer):
            raise MemoryError("HarfBuzz could not allocate a buffer")
        weakref.finalize(self, lib.hb_buffer_destroy, self._buffer)
        lib.hb_buffer_set_cluster_level(self._buffer, CLUSTER_LEVEL)  # kept by clear_contents
        self._functions = tuple(
            ctypes.cast(getattr(lib, name), ctypes.c_void_p).value for name in _SHAPING_FUNCTIONS
        )
        self._properties: dict[tuple[bool, str | None, str], _SegmentProperties] = {}
        self._segments: dict[tuple[bool, str | None, str], int] = {}  # addresses of the above
        self._fonts: dict[Font, int] = {}
        self._handle_fonts: tuple[Font, ...] = ()  # a chain's fonts, and the hb_font_t of each
        self._handles = np.zeros(0, dtype=np.uintp)

    def _segment(self, rtl: int, script: str | None, language: str) -> int:
        """The address of the segment properties of a direction (`rtl` true: right to left),
        script and language."""
        key = (rtl, script, language)
        address = self._segments.get(key)
        if address is None:
            lib = self._lib
            props = _SegmentProperties(
                _RTL if rtl else _LTR,
                lib.hb_script_from_string(script.encode(), -1) if script else 0,  # 0: HB_SCRIPT_INVALID
                lib.hb_language_from_string((language or "und").encode(), -1),
            )
            self._properties[key] = props  # kept alive while its address is used
            address = self._segments[key] = ctypes.addressof(props)
        return address

    def _font(self, font: Font) -> int:
        pointer = self._fonts.get(font)
        if pointer is None:
            pointer = self._fonts[font] = _c_font(self._lib, str(font.path), font.index)
        return pointer

    def shape(
        self, codepoints: np.ndarray, items: Sequence[Item], logical: bool = False, alone: bool = False
    ) -> GlyphRecords:
        """Shape every item of a text given as UTF-32 code points (uint32); with `logical`, the
        glyphs of right-to-left items come in logical order rather than HarfBuzz's; with
        `alone`, each item is shaped with no context, as if the text were its characters only."""
        fonts = self._fonts
        start, end, font, rtl, script, language = zip(*items, strict=True) if items else ((),) * 6
        handles = np.asarray([fonts.get(f) or self._font(f) for f in font], dtype=np.uintp)
        order = np.arange(len(handles), dtype=np.int32)
        cps = np.ascontiguousarray(codepoints, dtype=np.uint32)
        offsets = (np.asarray(start, dtype=np.int64), np.asarray(end, dtype=np.int64))
        columns = (handles, order, list(rtl), list(script), language)
        return self._shape(cps, *offsets, *columns, logical, alone)

    def shape_runs(
        self,
        codepoints: np.ndarray,
        runs: Runs,
        fonts: Sequence[Font],
        logical: bool = False,
        alone: bool = False,
    ) -> GlyphRecords:
        """Shape every run of an itemized text (`fonts`: the chain's fonts its font indices
        name), as `shape` does the items of those runs, with the per-run columns read whole."""
        if self._handle_fonts != tuple(fonts):  # the chain grew, or another chain's fonts
            self._handle_fonts = tuple(fonts)
            self._handles = np.asarray([self._fonts.get(f) or self._font(f) for f in fonts], dtype=np.uintp)
        rtl = list(map(and_, runs.level.tolist(), repeat(1)))  # 1: an odd level, right to left
        columns = (runs.start, runs.end, self._handles, runs.font, rtl, runs.script, runs.language)
        return self._shape(codepoints, *columns, logical, alone)

    def _shape(
        self,
        codepoints: np.ndarray,
        start: np.ndarray,
        end: np.ndarray,
        handles: np.ndarray,
        font: np.ndarray,
        rtl: list[int],
        script: list[str | None],
        language: Sequence[str],
        logical: bool,
        alone: bool = False,
    ) -> GlyphRecords:
        """One compiled pass over items given as columns (`codepoints` uint32, `start` and `end`
        int64, `handles`: hb_font_t of the fonts `font` (int32) indexes, `rtl` true for a
        right-to-left item)."""
        segments, segment = self._segments, self._segment
        keys = list(zip(rtl, script, language, strict=True))
        addresses = list(map(segments.get, keys))
        if None in addresses:  # a direction, script and language not met before
            addresses = [segment(*key) for key in keys]
        gid, cluster, flags, x_advance, x_offset, y_offset, count = shape_items(
            self._functions,
            self._buffer,
            codepoints,
            start,
            end,
            handles,
            font,
            addresses,
            script,
            rtl,
            logical,
            alone,
        )
        return GlyphRecords(gid, cluster, flags, x_advance, x_offset, y_offset, count)


@functools.lru_cache(maxsize=64)
def _c_font(lib: ctypes.CDLL, path: str, index: int) -> int:
    """hb_font_t of a font file face, created once per process (the scale is the face's upem,
    as uharfbuzz's `Font(face)` has it: hb_font_create sets it so)."""
    blob = lib.hb_blob_create_from_file_or_fail(path.encode())
    if not blob:
        raise OSError(f"HarfBuzz cannot read {path}")
    face = lib.hb_face_create(blob, index)
    lib.hb_blob_destroy(blob)  # the face keeps its own reference
    font = lib.hb_font_create(face)
    lib.hb_face_destroy(face)  # and the font its own
    return int(font)


_CODEPOINT = attrgetter("codepoint")
_CLUSTER = attrgetter("cluster")
_FLAGS = attrgetter("flags")
_X_ADVANCE = attrgetter("x_advance")
_X_OFFSET = attrgetter("x_offset")
_Y_OFFSET = attrgetter("y_offset")


class UharfbuzzShaper:
    """Shapes items through uharfbuzz's Python objects (where the C API is not exported)."""

    def shape(
        self, codepoints: np.ndarray, items: Sequence[Item], logical: bool = False, alone: bool = False
    ) -> GlyphRecords:
        """Shape every item of a text given as UTF-32 code points (uint32); with `logical`, the
        glyphs of right-to-left items come in logical order rather than HarfBuzz's; with
        `alone`, each item is shaped with no context, as if the text were its characters only."""
        text = (
            np.ascontiguousarray(codepoints, dtype=np.uint32)
            .astype("<u4")
            .tobytes()
            .decode("utf-32-le", "surrogatepass")
        )
        columns: tuple[list[int], ...] = ([], [], [], [], [], [])
        count: list[int] = []
        for start, end, font, rtl, script, language in items:
            buf = hb.Buffer()
            buf.cluster_level = hb.BufferClusterLevel(CLUSTER_LEVEL)
            # HarfBuzz keeps at most five characters of context either side of an item.
            lo, hi = (start, end) if alone else (max(start - 5, 0), min(end + 5, len(text)))
            buf.add_str(text[lo:hi], start - lo, end - start)
            buf.direction = "rtl" if rtl else "ltr"
            buf.language = language or "und"
            if script:
                buf.script = script
            else:
                buf.guess_segment_properties()
            hb.shape(font.hb_font, buf, {})
            infos, places = buf.glyph_infos, buf.glyph_positions
            columns[0].extend(map(_CODEPOINT, infos))
            columns[1].extend(c + lo for c in map(_CLUSTER, infos))
            columns[2].extend(map(int, map(_FLAGS, infos)))
            columns[3].extend(map(_X_ADVANCE, places))
            columns[4].extend(map(_X_OFFSET, places))
            columns[5].extend(map(_Y_OFFSET, places))
            count.append(len(infos))
            if logical and rtl:
                first = len(columns[0]) - len(infos)
                for column in columns:
                    column[first:] = column[first:][::-1]
        return GlyphRecords(
            gid=np.asarray(columns[0], dtype=np.int32),
            cluster=np.asarray(columns[1], dtype=np.int64),
            flags=np.asarray(columns[2], dtype=np.uint8),
            x_advance=np.asarray(columns[3], dtype=np.int32),
            x_offset=np.asarray(columns[4], dtype=np.int32),
            y_offset=np.asarray(columns[5], dtype=np.int32),
            count=np.asarray(count, dtype=np.int64),
        )

    def shape_runs(
        self,
        codepoints: np.ndarray,
        runs: Runs,
        fonts: Sequence[Font],
        logical: bool = False,
        alone: bool = False,
    ) -> GlyphRecords:
        """Shape every run of an itemized text (`fonts`: the chain's fonts its font indices name)."""
        return self.shape(codepoints, run_items(runs, fonts), logical=logical, alone=alone)


def run_items(runs: Runs, fonts: Sequence[Font]) -> list[Item]:
    """What HarfBuzz needs to shape each run in one call."""
    return [
        Item(a, b, fonts[font], bool(level % 2), script, language)
        for a, b, font, level, script, language in zip(
            runs.start.tolist(), runs.end.tolist(), runs.font.tolist(), runs.level.tolist(),
            runs.script, runs.language, strict=True,
        )
    ]  # fmt: skip


@functools.cache
def c_library() -> ctypes.CDLL | None:
    """HarfBuzz's C API from uharfbuzz's extension module, if this build exports it."""
    return _c_library()


def new_shaper() -> CShaper | UharfbuzzShaper:
    """A shaper on HarfBuzz's C API where uharfbuzz exports it, else on uharfbuzz's objects."""
    lib = c_library()
    return CShaper(lib) if lib is not None else UharfbuzzShaper()
