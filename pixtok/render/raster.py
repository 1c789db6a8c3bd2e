"""Placed glyphs to pixels: each distinct glyph is rendered once by FreeType into a cache, and a
page is composited with one vectorised `np.maximum.at` over the cached glyph pixels.

Coverage ("ink", 0-255) is composited first; colours are applied once per page at the end.
Pen positions are rounded to whole pixels, so the same glyph always leaves the same pixels,
which is what makes pages byte-identical from run to run.
"""

from __future__ import annotations

from dataclasses import dataclass

import freetype
import numpy as np

from pixtok.render.fonts import Font

_LOAD_FLAGS = freetype.FT_LOAD_DEFAULT


@dataclass(frozen=True)
class GlyphPixels:
    """Where a placed glyph's bitmap lands: left/top of its box in page pixels, and its size."""

    left: np.ndarray
    top: np.ndarray
    width: np.ndarray
    height: np.ndarray


class GlyphAtlas:
    """Bitmaps of glyphs at one size and horizontal scale, for a list of fonts, rendered on demand.

    The cache keeps only the non-zero pixels of each glyph as (dy, dx, value) in flat pools, so
    a page is built by gathering from the pools.
    """

    def __init__(self, fonts: list[Font], size_px: float, hscale: float = 1.0) -> None:
        self.fonts = fonts
        self.size_px = size_px
        self.hscale = hscale
        self._faces: list[freetype.Face | None] = [None] * len(fonts)
        self._slot: list[np.ndarray] = [np.full(f.hb_face.glyph_count, -1, dtype=np.int64) for f in fonts]
        self._dy: list[np.ndarray] = []
        self._dx: list[np.ndarray] = []
        self._val: list[np.ndarray] = []
        self._left: list[int] = []
        self._top: list[int] = []
        self._w: list[int] = []
        self._h: list[int] = []
        self._pooled = 0
        self._arrays: dict[str, np.ndarray] = {}
        self._buffers: dict[str, np.ndarray] = {}

    def _grow(self) -> None:
        """Make room for fonts appended to the chain since (system fallback adds them)."""
        for font in self.fonts[len(self._faces) :]:
            self._faces.append(None)
            self._slot.append(np.full(font.hb_face.glyph_count, -1, dtype=np.int64))

    def _face(self, font_index: int) -> freetype.Face:
        face = self._faces[font_index]
        if face is None:
            face = self.fonts[font_index].freetype_face()
            face.set_char_size(max(1, round(self.size_px * 64)), 0, 72, 72)
            if self.hscale != 1.0:
                matrix = freetype.Matrix(round(self.hscale * 0x10000), 0, 0, 0x10000)
                face.set_transform(matrix, freetype.Vector(0, 0))
            self._faces[font_index] = face
        return face

    def _render(self, font_index: int, gid: int) -> None:
        face = self._face(font_index)
        try:
            face.load_glyph(gid, _LOAD_FLAGS)
            face.glyph.render(freetype.FT_RENDER_MODE_NORMAL)
            glyph = face.glyph
            bitmap = glyph.bitmap
            rows, width, pitch = bitmap.rows, bitmap.width, bitmap.pitch
            if rows and width:
                pixels = np.frombuffer(bytes(bitmap.buffer), dtype=np.uint8).reshape(rows, abs(pitch))[
                    :, :width
                ]
            else:
                pixels = np.zeros((0, 0), dtype=np.uint8)
            left, top = glyph.bitmap_left, glyph.bitmap_top
        except freetype.FT_Exception:
            pixels, left, top = np.zeros((0, 0), dtype=np.uint8), 0, 0
        dy, dx = np.nonzero(pixels)
        self._slot[font_index][gid] = len(self._dy)
        self._dy.append(dy.astype(np.int32))
        self._dx.append(dx.astype(np.int32))
        self._val.append(pixels[dy, dx])
        self._left.append(int(left))
        self._top.append(int(top))
        self._w.append(int(pixels.shape[1]))
        self._h.append(int(pixels.shape[0]))

    def slots(self, font: np.ndarray, gid: np.ndarray) -> np.ndarray:
        """Cache slot of each (font, glyph) pair, rendering the ones not seen before."""
        slots = np.empty(len(gid), dtype=np.int64)
        if len(self._slot) < len(self.fonts):
            self._grow()
        for font_index in np.unique(font):
            mask = font == font_index
            table = self._slot[int(font_index)]
            wanted = gid[mask]
            for g in np.unique(wanted[table[wanted] < 0]):
                self._render(int(font_index), int(g))
            slots[mask] = table[wanted]
        return slots

    def arrays(self) -> dict[str, np.ndarray]:
        """Pooled pixel data of all cached glyphs (rebuilt only after new glyphs were rendered)."""
        if self._pooled != len(self._dy):
            counts = np.fromiter(map(len, self._dy), dtype=np.int64, count=len(self._dy))
            self._arrays = {
                "dy": np.concatenate(self._dy),
                "dx": np.concatenate(self._dx),
                "val": np.concatenate(self._val),
                "count": counts,
                "start": np.concatenate(([0], np.cumsum(counts)[:-1])),
                "left": np.asarray(self._left, dtype=np.int64),
                "top": np.asarray(self._top, dtype=np.int64),
                "w": np.asarray(self._w, dtype=np.int64),
                "h": np.asarray(self._h, dtype=np.int64),
            }
            self._pooled = len(self._dy)
        return self._arrays

    def boxes(self, slots: np.ndarray, x: np.ndarray, baseline: np.ndarray) -> GlyphPixels:
        """Bitmap boxes of glyphs placed at pen x / baseline (px)."""
        a = self.arrays()
        left = np.rint(x).astype(np.int64) + a["left"][slots]
        top = np.rint(baseline).astype(np.int64) - a["top"][slots]
        return GlyphPixels(left=left, top=top, width=a["w"][slots], height=a["h"][slots])

    def composite(
        self,
        ink: np.ndarray,
        slots: np.ndarray,
        left: np.ndarray,
        top: np.ndarray,
        page: np.ndarray | None = None,
    ) -> None:
        """Add glyph coverage into uint8 ink pages, keeping the maximum where glyphs overlap.

        `ink` is (H, W), or (N, H, W) with `page` giving each glyph's index into it: compositing
        many pages in one call keeps numpy's per-call overhead off the hot path.
        """
        if not len(slots):
            return
        a = self.arrays()
        height, width = ink.shape[-2:]
        counts = a["count"][slots]
        total = int(counts.sum())
        if total == 0:
            return
        rel = self._relative_offsets(width)
        first = np.cumsum(counts) - counts
        # Scratch buffers are kept between calls: fresh multi-megabyte arrays cost page faults.
        pixel = np.repeat(a["start"][slots] - first, counts)
        np.add(pixel, self._scratch("iota", total, np.int64, fill=True), out=pixel)
        base = top * width + left
        if page is not None:
            base += page.astype(np.int64) * (height * width)
        # Indices are valid by construction; mode="clip" skips the bounds pass that out= costs.
        values = np.take(a["val"], pixel, out=self._scratch("values", total, np.uint8), mode="clip")
        flat = np.repeat(base, counts)
        np.add(
            flat, np.take(rel, pixel, out=self._scratch("offsets", total, np.int64), mode="clip"), out=flat
        )
        inside = (left >= 0) & (top >= 0) & (left + a["w"][slots] <= width) & (top + a["h"][slots] <= height)
        if not inside.all():
            py = np.repeat(top, counts) + a["dy"][pixel]
            px = np.repeat(left, counts) + a["dx"][pixel]
            keep = (py >= 0) & (py < height) & (px >= 0) & (px < width)
            flat, values = flat[keep], values[keep]
        np.maximum.at(ink.reshape(-1), flat, values)

    def _scratch(self, name: str, size: int, dtype: type, fill: bool = False) -> np.ndarray:
        """A reusable buffer of at least `size` items (`fill`: holding 0, 1, 2, ...)."""
        buffer = self._buffers.get(name)
        if buffer is None or len(buffer) < size:
            capacity = max(size, 2 * (0 if buffer is None else len(buffer)), 1 << 16)
            buffer = np.arange(capacity, dtype=dtype) if fill else np.empty(capacity, dtype=dtype)
            self._buffers[name] = buffer
        return buffer[:size]

    def _relative_offsets(self, width: int) -> np.ndarray:
        """Each cached pixel's offset from its glyph's top-left corner in a page `width` wide."""
        a = self.arrays()
        key = f"rel{width}"
        if key not in a:
            a[key] = a["dy"].astype(np.int64) * width + a["dx"]
        return a[key]


def grey_level(rgb: tuple[int, int, int]) -> int:
    """The grey level of a colour (ITU-R 601 luma, as Pillow converts RGB to L)."""
    return round(0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2])


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
