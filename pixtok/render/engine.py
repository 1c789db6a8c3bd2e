"""`render(text, config)`: text to raster pages, with the layout of every glyph.

Wires the stages once: prepare text → shape (HarfBuzz, cached units) → break lines and place
glyphs (geometry only) → composite cached FreeType bitmaps into pages. Layout modes:
`page` (fixed pages), `crop` (pages with unused width and the empty end of the last page cut
away, as in Glyph), `fit` (the largest size that fits the text on one page) and `strip`
(single-line strips of fixed height cut into fixed-length patch sequences, as in PIXEL).
"""

from __future__ import annotations

import dataclasses
import functools
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from pixtok.errors import InputError, UsageError
from pixtok.render.config import Geometry, RenderConfig, parse_color
from pixtok.render.fonts import FontChain
from pixtok.render.layout import LineBox, Lines, PlacedGlyphs, advances_px, break_lines, lines_per_page, place
from pixtok.render.raster import GlyphAtlas, colorize, grey_level
from pixtok.render.shaping import INVISIBLE, ShapedText, Shaper
from pixtok.render.text import prepare

#: Pages composited in one numpy pass.
_BATCH = 16


@dataclass(frozen=True)
class GlyphBoxes:
    """Every drawn glyph: its page, bitmap box in page pixels, and the character it came from.

    `char_offset` indexes the text given to `render`, so later stages can map a patch back to
    the text it holds.
    """

    page: np.ndarray
    x0: np.ndarray
    y0: np.ndarray
    x1: np.ndarray
    y1: np.ndarray
    char_offset: np.ndarray
    font: np.ndarray
    glyph_id: np.ndarray

    def __len__(self) -> int:
        return len(self.page)


@dataclass
class RenderResult:
    """Pages and layout of one rendered text."""

    pages: list[np.ndarray]
    glyphs: GlyphBoxes
    config: RenderConfig
    geometry: Geometry
    chars: int
    lines: int
    line_page: np.ndarray
    line_char_span: np.ndarray  # (n_lines, 2): [start, end) character offsets in the input text
    missing: dict[str, int]
    fonts: list[dict[str, Any]]
    font_size_px: float
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def missing_glyphs(self) -> int:
        return sum(self.missing.values())

    @property
    def page_count(self) -> int:
        return len(self.pages)

    @property
    def background(self) -> int | tuple[int, int, int]:
        """The pixel value of the page background: a grey level, or (r, g, b) for RGB pages."""
        rgb = parse_color(self.config.background)
        return rgb if self.config.color_mode == "RGB" else grey_level(rgb)

    def page_char_span(self, page: int) -> tuple[int, int]:
        """[start, end) character offsets of the input text that page `page` shows."""
        rows = np.flatnonzero(self.line_page == page)
        if not len(rows):
            return (0, 0)
        return int(self.line_char_span[rows[0], 0]), int(self.line_char_span[rows[-1], 1])

    def summary(self) -> dict[str, Any]:
        """The facts `pixtok render --json` prints."""
        return {
            "pages": len(self.pages),
            "width": int(self.pages[0].shape[1]) if self.pages else 0,
            "height": int(self.pages[0].shape[0]) if self.pages else 0,
            "page_sizes": [[int(p.shape[1]), int(p.shape[0])] for p in self.pages],
            "chars": self.chars,
            "lines": self.lines,
            "glyphs": len(self.glyphs),
            "font_size_px": round(self.font_size_px, 4),
            "missing_glyphs": self.missing_glyphs,
            "missing_chars": {f"U+{ord(c):04X}": n for c, n in sorted(self.missing.items())},
            "fonts": self.fonts,
            "config": self.config.to_dict(),
        }


class Renderer:
    """Renders texts with one config; keeps the font chain, shaping cache and glyph cache warm."""

    def __init__(self, config: RenderConfig) -> None:
        self.config = config
        self.geometry = config.geometry()
        self.chain = FontChain.from_specs(
            config.fonts, fallback=config.fallback, system_fonts=config.system_fonts
        )
        marker = config.newline_marker if config.newlines == "marker" else None
        self.shaper = Shaper(self.chain, marker)
        self._atlases: dict[float, GlyphAtlas] = {}
        self.foreground = parse_color(config.foreground)
        self.background = parse_color(config.background)

    def line_box(self, shaped: ShapedText) -> LineBox:
        """Ascent and descent (in em) of the fonts this text is drawn with."""
        used = np.unique(shaped.font[shaped.gid != INVISIBLE]).tolist() or [0]
        fonts = [self.chain.fonts[i] for i in used]
        return LineBox(
            max(f.ascender for f in fonts),
            max(f.descender for f in fonts),
            centered=self.config.layout == "strip",
        )

    def atlas(self, size: float) -> GlyphAtlas:
        key = round(size, 4)
        if key not in self._atlases:
            if len(self._atlases) > 8:
                self._atlases.clear()
            self._atlases[key] = GlyphAtlas(self.chain.fonts, key, float(self.config.hscale))
        return self._atlases[key]

    def render(self, text: str) -> RenderResult:
        if not isinstance(text, str):
            raise UsageError("render() takes a str; decode bytes first (pixtok.io.decode_text)")
        if not text.strip():
            raise InputError("the input text is empty (nothing but whitespace)")
        config = self.config
        prepared = prepare(text, config.newlines, config.newline_marker, int(config.tab_size))
        shaped = self.shaper.shape(prepared.text)
        box_em = self.line_box(shaped)
        geometry = self.geometry
        if config.layout == "fit":
            geometry = self._fit(shaped, box_em)
        elif config.layout == "strip":
            # Keep room for the end-of-sequence patch on every strip.
            geometry = _with(geometry, margins=(0.0, float(config.patch_size), 0.0, 0.0))
        advance = advances_px(shaped, geometry, float(config.hscale))
        lines = break_lines(shaped, advance, geometry)
        placed = place(
            shaped,
            advance,
            lines,
            geometry,
            config.align,
            float(config.hscale),
            box_em.scaled(geometry.size),
        )
        return self._draw(
            text,
            prepared.original_offset,
            shaped,
            advance,
            lines,
            placed,
            geometry,
            box_em.scaled(geometry.size),
        )

    def _fit(self, shaped: ShapedText, box_em: LineBox) -> Geometry:
        """The largest font size (to 1/8 px) at which the whole text fits on one page."""
        base = self.geometry
        ratio = base.line_height / base.size

        def fits(size: float) -> bool:
            trial = _with(base, size=size, line_height=size * ratio, letter_spacing=base.letter_spacing)
            box = box_em.scaled(size)
            if box.ascent + box.descent > trial.text_height:
                return False
            lines = break_lines(shaped, advances_px(shaped, trial, float(self.config.hscale)), trial)
            return (
                len(lines) <= lines_per_page(trial, box)
                and float(lines.width.max(initial=0)) <= trial.text_width + 1e-6
            )

        low, high = base.fit_min_size, float(base.text_height) / ratio
        if not fits(low):
            raise UsageError(
                f"the text does not fit on one {base.width}x{base.height} px page even at "
                f"{low:g} px; use a larger --page or the page layout"
            )
        while high - low > 0.125:
            middle = (low + high) / 2
            if fits(middle):
                low = middle
            else:
                high = middle
        size = math.floor(low * 8) / 8
        return _with(base, size=size, line_height=size * ratio)

    def _draw(
        self,
        text: str,
        to_original: Any,
        shaped: ShapedText,
        advance: np.ndarray,
        lines: Lines,
        placed: PlacedGlyphs,
        geometry: Geometry,
        box: LineBox,
    ) -> RenderResult:
        config = self.config
        atlas = self.atlas(geometry.size)
        gid = shaped.gid[placed.index]
        font = shaped.font[placed.index]
        slots = atlas.slots(font, gid)
        boxes = atlas.boxes(slots, placed.x, placed.baseline)
        n_lines = len(lines)
        per_page = lines_per_page(geometry, box)
        line_page = np.arange(n_lines) // per_page
        n_pages = int(line_page[-1]) + 1 if n_lines else 1
        width, height = geometry.width, geometry.height

        # Line extents: pen advances for cropping (a cropped page keeps the last glyph's side
        # bearing), ink for the strip end patch (PIXEL's black patch follows the last inked patch).
        line_right = np.full(n_lines, geometry.margins[3])
        if len(placed.x) and config.layout == "crop":
            np.maximum.at(line_right, placed.line, placed.x + advance[placed.index])
        elif len(placed.x) and config.layout == "strip":
            inked = boxes.width > 0
            np.maximum.at(
                line_right, placed.line[inked], (boxes.left + boxes.width)[inked].astype(np.float64)
            )
        page_widths = [width] * n_pages
        page_heights = [height] * n_pages
        if config.layout == "crop":
            crop_width = min(width, math.ceil(float(line_right.max(initial=0)) + geometry.margins[1]))
            page_widths = [max(crop_width, 1)] * n_pages
            last_rows = n_lines - (n_pages - 1) * per_page
            used = box.used_height(last_rows, geometry)
            page_heights[-1] = min(height, max(1, math.ceil(used)))

        # Pages are composited in batches (one numpy pass per batch, bounded memory).
        bounds = np.searchsorted(placed.page, np.arange(0, n_pages + _BATCH, _BATCH))
        pages: list[np.ndarray] = []
        for b, first_page in enumerate(range(0, n_pages, _BATCH)):
            count = min(_BATCH, n_pages - first_page)
            ink = np.zeros((count, height, width), dtype=np.uint8)
            sel = slice(bounds[b], bounds[b + 1])
            atlas.composite(ink, slots[sel], boxes.left[sel], boxes.top[sel], placed.page[sel] - first_page)
            if config.layout == "strip":
                for i in range(count):
                    line = first_page + i
                    _end_patch(ink[i], float(line_right[line]) if line < n_lines else 0.0, config.patch_size)
            colored = colorize(ink, self.foreground, self.background, config.color_mode)
            for i in range(count):
                p = first_page + i
                page = colored[i]
                if page.shape[:2] != (page_heights[p], page_widths[p]):
                    page = np.ascontiguousarray(page[: page_heights[p], : page_widths[p]])
                pages.append(page)

        char_offset = to_original(shaped.cluster[placed.index])
        glyphs = GlyphBoxes(
            page=placed.page.astype(np.int32),
            x0=boxes.left.astype(np.int32),
            y0=boxes.top.astype(np.int32),
            x1=(boxes.left + boxes.width).astype(np.int32),
            y1=(boxes.top + boxes.height).astype(np.int32),
            char_offset=np.asarray(char_offset, dtype=np.int64),
            font=font.astype(np.int16),
            glyph_id=gid.astype(np.int32),
        )
        spans = _line_char_spans(lines, to_original, len(text))
        used_fonts = sorted(set(np.unique(font).tolist()))
        return RenderResult(
            pages=pages,
            glyphs=glyphs,
            config=config,
            geometry=geometry,
            chars=len(text),
            lines=n_lines,
            line_page=line_page,
            line_char_span=spans,
            missing=dict(shaped.missing),
            fonts=[self.chain.fonts[i].describe() for i in used_fonts],
            font_size_px=geometry.size,
        )


def _line_char_spans(lines: Lines, to_original: Any, n_chars: int) -> np.ndarray:
    """[start, end) offsets of each line in the input text (a line ends where the next begins)."""
    starts = np.asarray(to_original(lines.char_start), dtype=np.int64)
    ends = np.append(starts[1:], n_chars)
    return np.stack([starts, ends], axis=1)


def _end_patch(ink: np.ndarray, text_right: float, patch: int) -> None:
    """PIXEL marks the end of a sequence with an all-black patch right after the text."""
    start = math.ceil(text_right / patch) * patch
    if start + patch <= ink.shape[1]:
        ink[: min(patch, ink.shape[0]), start : start + patch] = 255


def _with(geometry: Geometry, **changes: Any) -> Geometry:
    return dataclasses.replace(geometry, **changes)


@functools.lru_cache(maxsize=8)
def _renderer(config: RenderConfig) -> Renderer:
    return Renderer(config)


def render(text: str, config: RenderConfig | None = None, **options: Any) -> RenderResult:
    """Render `text` to pages. `options` override fields of `config` (or of the default config).

    >>> result = render("Hello, world", RenderConfig(page="200x60"))
    >>> result.pages[0].shape
    (60, 200)
    """
    if config is None:
        config = RenderConfig(**options) if options else RenderConfig()
    elif options:
        config = config.replace(**options)
    return _renderer(config).render(text)
