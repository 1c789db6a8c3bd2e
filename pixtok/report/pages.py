"""What the report shows of each rendered page: the picture, each encoder's grid over it, the
figures of that page, and the boxes around what OCR misread.

Grids are drawn from `Encoder.views(width, height)` alone (the images an encoder runs over, the
part of the page each shows, its size after resizing and padding, and its patch grid), so a
preset that tiles, pads or adds a global view is drawn as it really cuts the page. A patch is
shaded as blank when the part of the page it shows is all background, and as padding when it
shows no part of the page; both are read from an integral image of the page's ink, so a grid of
any scale costs one lookup per patch.
"""

from __future__ import annotations

import base64
import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from pixtok.encoders import Encoder, EncoderView
from pixtok.errors import PixtokError
from pixtok.output_files import png_bytes
from pixtok.render import RenderResult

#: Decimal places of grid-line coordinates (page pixels).
_PLACES = 2
#: zlib level of the page pictures: on text pages, twice as fast as 6 for 4% more bytes.
PAGE_PNG_LEVEL = 3


def data_uri(png: bytes) -> str:
    """A PNG as a `data:` URI, so the page needs no file beside it."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def ink_integral(page: np.ndarray, background: int | tuple[int, ...]) -> np.ndarray:
    """Summed-area table of the pixels that differ from the background: (H+1, W+1), int32
    (a page has far fewer than 2³¹ pixels)."""
    levels = np.asarray(background, dtype=page.dtype)
    ink = page != levels if page.ndim == 2 else (page[..., : levels.size] != levels).any(axis=2)
    table = np.zeros((page.shape[0] + 1, page.shape[1] + 1), dtype=np.int32)
    np.cumsum(ink, axis=0, dtype=np.int32, out=table[1:, 1:])
    np.cumsum(table[1:, 1:], axis=1, out=table[1:, 1:])
    return table


@dataclass(frozen=True)
class ViewShape:
    """One encoder view as drawn on a page, in page pixels.

    `rect` is the part of the page the view shows; `extent` the whole view (padding included)
    mapped onto the page; `grid_path` the patch lines (SVG path data) and `token_path` the
    coarser lines where patches merge into tokens; `blank_mask`/`padding_mask` are one-pixel-per-
    patch PNGs (white where the patch is blank or padding) stretched over `extent`.
    """

    kind: str
    number: int
    rect: tuple[float, float, float, float]
    extent: tuple[float, float, float, float]
    size: tuple[int, int]
    grid: tuple[int, int] | None
    tokens: int
    grid_path: str = ""
    token_path: str = ""
    blank_mask: str = ""
    padding_mask: str = ""
    blank: int = 0
    padding: int = 0
    patches: int = 0

    @property
    def label(self) -> str:
        return self.kind if self.kind == "image" else f"{self.kind} {self.number}"


@dataclass(frozen=True)
class Overlay:
    """One encoder's grid over one page: its views (tiles outlined, blank patches shaded)."""

    encoder: str
    views: tuple[ViewShape, ...]
    tokens: int
    description: str


def _merge_factor(view: EncoderView) -> int | None:
    """Patches per token side when the view's tokens are its patches merged k×k (2×2 in Qwen2-VL,
    4×4 through DeepSeek-OCR's compressor); None when they are not a square merge of the grid."""
    if view.grid is None or view.tokens <= 0:
        return None
    rows, cols = view.grid
    k = math.isqrt(max(rows * cols // view.tokens, 1))
    if k > 1 and rows % k == 0 and cols % k == 0 and (rows // k) * (cols // k) == view.tokens:
        return k
    return None


def _fmt(value: float) -> str:
    return f"{round(value, _PLACES):g}"


def view_shape(view: EncoderView, number: int, ink: np.ndarray, draw_grid: bool) -> ViewShape:
    """Map a view onto the page: its rectangle, grid lines, and blank and padding patches."""
    left, top, right, bottom = view.box
    c_left, c_top, c_right, c_bottom = view.content
    sx = (right - left) / max(c_right - c_left, 1)
    sy = (bottom - top) / max(c_bottom - c_top, 1)
    width, height = view.size
    extent = (left - c_left * sx, top - c_top * sy, width * sx, height * sy)
    shape = ViewShape(
        kind=view.kind,
        number=number,
        rect=(left, top, right - left, bottom - top),
        extent=extent,
        size=view.size,
        grid=view.grid,
        tokens=view.tokens,
    )
    if view.grid is None or not draw_grid:
        return shape
    rows, cols = view.grid
    pw, ph = width / cols, height / rows
    xs = extent[0] + np.arange(cols + 1) * pw * sx
    ys = extent[1] + np.arange(rows + 1) * ph * sy

    # Each coordinate formatted once, for both kinds of line.
    x_text = [_fmt(x) if left <= x <= right else None for x in xs]
    y_text = [_fmt(y) if top <= y <= bottom else None for y in ys]
    left_text, top_text, right_text, bottom_text = (_fmt(v) for v in (left, top, right, bottom))

    def lines(step: int) -> str:
        parts = [f"M{x} {top_text}V{bottom_text}" for x in x_text[::step] if x is not None]
        parts += [f"M{left_text} {y}H{right_text}" for y in y_text[::step] if y is not None]
        return "".join(parts)

    merge = _merge_factor(view)
    # Which patches show page, and which of those hold ink: one integral-image lookup each.
    x0 = np.clip(np.floor(xs[:-1]), left, right).astype(np.int64)
    x1 = np.clip(np.ceil(xs[1:]), left, right).astype(np.int64)
    y0 = np.clip(np.floor(ys[:-1]), top, bottom).astype(np.int64)
    y1 = np.clip(np.ceil(ys[1:]), top, bottom).astype(np.int64)
    shows = (y1 > y0)[:, None] & (x1 > x0)[None, :]
    inked = (
        ink[y1[:, None], x1[None, :]]
        - ink[y0[:, None], x1[None, :]]
        - ink[y1[:, None], x0[None, :]]
        + ink[y0[:, None], x0[None, :]]
    ) > 0
    blank = shows & ~inked
    padding = ~shows
    return replace(
        shape,
        grid_path=lines(1),
        token_path=lines(merge) if merge else "",
        blank_mask=_mask_uri(blank),
        padding_mask=_mask_uri(padding) if padding.any() else "",
        blank=int(blank.sum()),
        padding=int(padding.sum()),
        patches=rows * cols,
    )


def _mask_uri(mask: np.ndarray) -> str:
    return data_uri(png_bytes(np.where(mask, 255, 0).astype(np.uint8)))


def overlay(encoder: Encoder, page: np.ndarray, ink: np.ndarray) -> Overlay:
    """An encoder's views over one page. When it tiles, the tiles carry the grid and the
    overview images (thumbnail, global view) are outlined; otherwise every view is gridded."""
    height, width = page.shape[:2]
    views = encoder.views(width, height)
    tiled = any(v.kind == "tile" for v in views)
    shapes = tuple(
        view_shape(view, number, ink, draw_grid=not tiled or view.kind == "tile")
        for number, view in enumerate(views, 1)
    )
    tokens = sum(v.tokens for v in views)
    parts = []
    for shape in shapes:
        grid = f"{shape.grid[1]}×{shape.grid[0]} patches" if shape.grid else "no published patch grid"
        parts.append(f"{shape.label}: {shape.size[0]}×{shape.size[1]} px, {grid}, {shape.tokens} tokens")
    return Overlay(encoder.name, shapes, tokens, "; ".join(parts))


def _overlay_or_none(encoder: Encoder, page: np.ndarray, ink: np.ndarray) -> Overlay | None:
    """The encoder's overlay, or None for a preset that cannot describe its views of this page
    (its counts are in the record all the same)."""
    try:
        return overlay(encoder, page, ink)
    except PixtokError:
        return None


@dataclass
class PageView:
    """One page as the report shows it."""

    number: int
    width: int
    height: int
    image: str
    span: tuple[int, int]
    vision: dict[str, int]
    text_tokens: dict[str, int]
    overlays: list[Overlay] = field(default_factory=list)
    ocr: dict[str, Any] | None = None
    ocr_boxes: list[tuple[int, int, int, int, str]] = field(default_factory=list)


def page_views(
    result: RenderResult,
    encoders: Mapping[str, Encoder],
    token_spans: Mapping[str, Sequence[tuple[int, int]]],
    limit: int,
) -> list[PageView]:
    """The first `limit` pages of a rendered text: picture, overlays and per-page figures.

    Per-page vision tokens are the encoder's count of that page (they add up to the record's);
    per-page text tokens count the tokens that start on the page.
    """
    one_bit = result.config.color_mode == "1"
    token_starts = {
        name: np.fromiter((s for s, _ in spans), dtype=np.int64, count=len(spans))
        for name, spans in token_spans.items()
    }
    views: list[PageView] = []
    for index, page in enumerate(itertools.islice(result.iter_pages(), limit)):  # the rest undrawn
        start, end = result.page_char_span(index)
        ink = ink_integral(page, result.background)
        height, width = page.shape[:2]
        views.append(
            PageView(
                number=index + 1,
                width=width,
                height=height,
                image=data_uri(png_bytes(page, one_bit, compress_level=PAGE_PNG_LEVEL)),
                span=(start, end),
                vision={name: enc.count(width, height, pixels=page).tokens for name, enc in encoders.items()},
                text_tokens={
                    name: int(np.count_nonzero((starts >= start) & (starts < end)))
                    for name, starts in token_starts.items()
                },
                overlays=[o for enc in encoders.values() if (o := _overlay_or_none(enc, page, ink))],
            )
        )
    return views


def error_boxes(
    result: RenderResult, page: int, errors: Sequence[Mapping[str, Any]]
) -> list[tuple[int, int, int, int, str]]:
    """Page-pixel boxes (x, y, width, height, what was read) around the glyphs of each OCR error
    on `page` (0-based), one box per line an error spans; an insertion marks the glyph it precedes."""
    glyphs = result.glyphs
    on_page = glyphs.page == page
    offsets = glyphs.char_offset
    boxes: list[tuple[int, int, int, int, str]] = []
    for error in errors:
        start, end = int(error["start"]), int(error["end"])
        if end <= start:
            end = start + 1
        chosen = on_page & (offsets >= start) & (offsets < end) & (glyphs.x1 > glyphs.x0)
        if not chosen.any():
            continue
        note = f"expected {error['expected']!r}, read {error['read']!r}"
        indices = np.flatnonzero(chosen)
        lines = np.searchsorted(result.line_char_span[:, 0], offsets[indices], side="right")
        for line in np.unique(lines):
            sel = indices[lines == line]
            x0, x1 = int(glyphs.x0[sel].min()), int(glyphs.x1[sel].max())
            y0, y1 = int(glyphs.y0[sel].min()), int(glyphs.y1[sel].max())
            boxes.append((x0 - 1, y0 - 1, x1 - x0 + 2, y1 - y0 + 2, note))
    return boxes
