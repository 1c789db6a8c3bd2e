"""`render(text, config)`: text to raster pages, with the layout of every glyph.

Wires the stages once: prepare text → itemize into runs and shape each with one HarfBuzz call →
find ICU's line break opportunities → break lines and place glyphs (geometry only) → composite
cached FreeType bitmaps into pages. Layout modes: `page` (fixed pages), `crop` (pages with
unused width and the empty end of the last page cut away, as in Glyph), `fit` (the largest
size that fits the text on one page) and `strip` (single-line strips of fixed height cut into
fixed-length patch sequences, as in PIXEL).

A `Renderer` keeps the layout of texts it has drawn (glyphs, lines, positions), so the same
text again costs only compositing, and a new text pays nothing for that cache. A text drawn a
second time also keeps the pixel positions its glyphs leave (within `_STAMP_BYTES`), so that
further repeats cost only their scatter into fresh pages.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from pixtok.errors import InputError, UsageError, show
from pixtok.patches import check_padded_page, check_whole, grid_shape, patchify
from pixtok.render import _glyph_boxes
from pixtok.render._breaks import forced_breaks
from pixtok.render.breaking import icu_locale, line_break_opportunities
from pixtok.render.config import Geometry, RenderConfig, parse_color
from pixtok.render.fonts import FontChain
from pixtok.render.layout import (
    Breaks,
    LineBox,
    Lines,
    PlacedGlyphs,
    TextFacts,
    advances_px,
    break_lines,
    lines_per_page,
    page_rows,
    place,
    repair_unsafe_breaks,
)
from pixtok.render.raster import (
    GlyphAtlas,
    GlyphPixels,
    PageBuffers,
    Stamp,
    colorize,
    draws_dark_on_white,
    grey_level,
)
from pixtok.render.shaping import INVISIBLE, ShapedText, Shaper
from pixtok.render.text import PreparedText, prepare

#: Pages composited in one numpy pass.
_BATCH = 16
#: Layouts kept for texts seen before, counted in glyphs (about 60 bytes each).
_CACHE_GLYPHS = 400_000
#: Texts longer than this are not kept (a corpus stream of long records would only churn).
_CACHE_TEXT_CHARS = 200_000
#: Pixels of texts drawn more than once, kept so that a further repeat costs only their scatter
#: (5 bytes a pixel drawn; about 320 KB a page of Chinese, 200 KB of English).
_STAMP_BYTES = 32 << 20
#: Page buffers of every Renderer of the process: a new Renderer draws into memory that pages
#: let go of have already mapped (a fresh page costs more in page faults than in drawing).
_PAGE_BUFFERS = PageBuffers(count=8)


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
    """Pages and layout of one rendered text.

    `pages` are drawn when first read, and `glyphs` (every drawn glyph's box and character),
    `line_char_span` ((n_lines, 2): [start, end) character offsets of each line in the input
    text), `fonts` (what the summary says of each font used) and `clipped_ink` (the fraction of
    ink outside the pages) are made from the layout when first read: counting patches and
    tokens needs none of them (`page_sizes` and `inked_patches` answer from the layout).
    """

    config: RenderConfig
    geometry: Geometry
    chars: int
    lines: int
    line_page: np.ndarray
    missing: dict[str, int]
    font_size_px: float
    page_sizes: list[tuple[int, int]]  # (width, height) px of every page
    extra: dict[str, Any] = field(default_factory=dict)
    languages: list[str] = field(default_factory=list)
    overflow_clusters: int = 0
    _pages: list[np.ndarray] | None = field(default=None, repr=False, compare=False)
    _each_page: Callable[[], Iterator[np.ndarray]] | None = field(default=None, repr=False, compare=False)
    _ink_from_glyphs: bool = field(default=False, repr=False, compare=False)
    _layout: _Layout | None = field(default=None, repr=False, compare=False)
    _prepared: PreparedText | None = field(default=None, repr=False, compare=False)
    _describe_font: Callable[[int], dict[str, Any]] | None = field(default=None, repr=False, compare=False)

    def __getstate__(self) -> dict[str, Any]:
        """What a copy in another process needs: pages drawn, the layout's facts made, the
        layout left out."""
        _ = self.pages, self.glyphs, self.line_char_span, self.fonts, self.clipped_ink
        state = {**self.__dict__, "_layout": None, "_prepared": None, "_describe_font": None}
        return {**state, "_each_page": None, "_ink_from_glyphs": False}

    @property
    def pages(self) -> list[np.ndarray]:
        """The pages: (H, W) grey or (H, W, 3) RGB uint8 arrays, drawn when first read."""
        if self._pages is None:
            assert self._each_page is not None
            self._pages = list(self._each_page())
            self._each_page = None
        return self._pages

    def iter_pages(self) -> Iterator[np.ndarray]:
        """The pages one after another, equal to those `pages` holds, drawn as they are asked
        for and not kept: a text of thousands of pages is written in the memory of a few. Each
        call draws them again, unless `pages` has been read: then its arrays are given."""
        if self._pages is not None or self._each_page is None:
            yield from self.pages
            return
        yield from self._each_page()

    def inked_patches(self, patch: int = 16) -> list[np.ndarray]:
        """Which `patch` x `patch` squares of each page hold ink, as (rows, cols) bool arrays:
        `patchify(page, patch, background=self.background).nonblank` of every page.

        Black text on white grey pages not yet drawn answer from the glyph bitmaps of the
        layout: a square is inked when a glyph leaves a pixel of non-zero coverage in it, which
        is when the drawn page has a pixel there that is not white. Other pages are read one
        after another, and kept only if `pages` has been read.
        """
        patch = check_whole(patch, "patch size")
        layout = self._layout
        if self._pages is None and self._ink_from_glyphs and layout is not None:
            # patchify's own grid and checks (a patch far larger than the page is refused as
            # patchify refuses it), so the answer never depends on whether pages were drawn
            grids = [grid_shape(height, width, patch) for width, height in self.page_sizes]
            for (width, height), (rows, cols) in zip(self.page_sizes, grids, strict=True):
                check_padded_page(height, width, rows, cols, patch, patch)
            boxes = layout.boxes
            return layout.atlas.inked_patches(
                layout.slots, boxes.left, boxes.top, layout.placed.page, self.page_sizes, grids, patch
            )
        return [patchify(page, patch, background=self.background).nonblank for page in self.iter_pages()]

    @functools.cached_property
    def glyphs(self) -> GlyphBoxes:
        """Every drawn glyph: page, bitmap box, the character it came from, font and glyph id."""
        layout, prepared = self._layout, self._prepared
        assert layout is not None and prepared is not None
        placed, boxes = layout.placed, layout.boxes
        return GlyphBoxes(
            page=placed.page.astype(np.int32),
            x0=boxes.left.astype(np.int32),
            y0=boxes.top.astype(np.int32),
            x1=(boxes.left + boxes.width).astype(np.int32),
            y1=(boxes.top + boxes.height).astype(np.int32),
            char_offset=np.asarray(
                prepared.original_offset(layout.shaped.cluster[placed.index]), dtype=np.int64
            ),
            font=layout.glyph_font.astype(np.int16),
            glyph_id=layout.glyph_id.astype(np.int32),
        )

    @functools.cached_property
    def clipped_ink(self) -> float:
        """The fraction of the glyphs' ink that falls outside the pages (or strips)."""
        assert self._layout is not None
        return self._layout.clipped_ink

    @functools.cached_property
    def line_char_span(self) -> np.ndarray:
        """(n_lines, 2): [start, end) character offsets of each line in the input text."""
        assert self._layout is not None and self._prepared is not None
        return _line_char_spans(self._layout.lines, self._prepared.original_offset, self.chars)

    @functools.cached_property
    def fonts(self) -> list[dict[str, Any]]:
        """What the summary says of each font that draws a glyph of the text, in chain order."""
        assert self._layout is not None and self._describe_font is not None
        used = np.flatnonzero(np.bincount(self._layout.glyph_font, minlength=1)).tolist()
        return [self._describe_font(i) for i in used]

    @property
    def missing_glyphs(self) -> int:
        return sum(self.missing.values())

    @property
    def page_count(self) -> int:
        return len(self.page_sizes)

    @functools.cached_property
    def background(self) -> int | tuple[int, int, int]:
        """The pixel value of the page background: a grey level, or (r, g, b) for RGB pages."""
        rgb = parse_color(self.config.background)
        return rgb if self.config.color_mode == "RGB" else grey_level(rgb)

    def page_char_span(self, page: int) -> tuple[int, int]:
        """[start, end) character offsets of the input text that page `page` shows (from 0, as
        `pages` counts them; (0, 0) for a page that shows no line). A page that is not one of
        them (-1, 10**9, 1.5, "0") is a UsageError: it would otherwise show nothing, silently."""
        if (
            isinstance(page, (bool, np.bool_))
            or not isinstance(page, (int, np.integer))
            or not 0 <= page < self.page_count
        ):
            shown = show(page) if isinstance(page, (int, float, str, np.number)) else type(page).__name__
            raise UsageError(f"page must be a page number from 0 to {self.page_count - 1}, not {shown}")
        rows = np.flatnonzero(self.line_page == int(page))
        if not len(rows):
            return (0, 0)
        return int(self.line_char_span[rows[0], 0]), int(self.line_char_span[rows[-1], 1])

    def summary(self) -> dict[str, Any]:
        """The facts `pixtok render --json` prints."""
        return {
            "pages": len(self.page_sizes),
            "width": int(self.page_sizes[0][0]) if self.page_sizes else 0,
            "height": int(self.page_sizes[0][1]) if self.page_sizes else 0,
            "page_sizes": [[int(w), int(h)] for w, h in self.page_sizes],
            "chars": self.chars,
            "lines": self.lines,
            "glyphs": len(self.glyphs),
            "font_size_px": round(self.font_size_px, 4),
            "missing_glyphs": self.missing_glyphs,
            "missing_chars": {f"U+{ord(c):04X}": n for c, n in sorted(self.missing.items())},
            "languages": self.languages,
            "clipped_ink": round(self.clipped_ink, 6),
            "overflow_clusters": self.overflow_clusters,
            "fonts": self.fonts,
            "config": self.config.to_dict(),
        }


@dataclass
class _Layout:
    """Everything about a rendered text but its pixels: kept for texts seen before."""

    shaped: ShapedText
    lines: Lines
    placed: PlacedGlyphs
    geometry: Geometry
    box: LineBox
    atlas: GlyphAtlas  # the atlas `slots` index (kept alive with the layout)
    slots: np.ndarray
    boxes: GlyphPixels
    line_page: np.ndarray
    page_widths: list[int]
    page_heights: list[int]
    line_right: np.ndarray | None  # crop and strip layouts: where each line ends (px)
    #: The pixels of each batch of pages, kept once the text is drawn again (see `_STAMP_BYTES`).
    stamps: dict[int, Stamp] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return len(self.shaped.gid) + 1

    @functools.cached_property
    def glyph_font(self) -> np.ndarray:
        """The font of each placed glyph (made when read: counting patches and tokens does not)."""
        return self.shaped.font[self.placed.index]

    @functools.cached_property
    def glyph_id(self) -> np.ndarray:
        """The glyph id of each placed glyph."""
        return self.shaped.gid[self.placed.index]

    @functools.cached_property
    def clipped_ink(self) -> float:
        """The fraction of the glyphs' coverage that falls outside their pages (made when read:
        counting patches and tokens does not)."""
        clipped, total = self.atlas.clipped_ink(
            self.slots, self.boxes.left, self.boxes.top, self.placed.page,
            np.array(self.page_widths), np.array(self.page_heights),
        )  # fmt: skip
        return clipped / total if total else 0.0

    @property
    def stamp_bytes(self) -> int:
        return sum(f.nbytes + v.nbytes for stamp in self.stamps.values() for f, v in stamp)


class Renderer:
    """Renders texts with one config; keeps the font chain, glyph cache and layouts warm."""

    def __init__(self, config: RenderConfig) -> None:
        self.config = config
        self.geometry = config.geometry()
        self.chain = FontChain.from_specs(
            config.fonts, fallback=config.fallback, system_fonts=config.system_fonts
        )
        self.shaper = Shaper(self.chain)
        self._atlases: dict[float, GlyphAtlas] = {}
        self._layouts: OrderedDict[str, _Layout] = OrderedDict()
        self._cached_glyphs = 0
        self._stamp_bytes = 0
        self.foreground = parse_color(config.foreground)
        self.background = parse_color(config.background)
        self._dark = draws_dark_on_white(self.foreground, self.background, config.color_mode)
        self._font_descriptions: dict[int, dict[str, Any]] = {}
        self._page_buffers = _PAGE_BUFFERS
        self._upem = np.zeros(0)
        self._line_boxes: dict[tuple[int, ...], LineBox] = {}
        self._scaled_boxes: dict[tuple[tuple[int, ...], float], LineBox] = {}

    def upem(self) -> np.ndarray:
        """Units per em of every font of the chain (which may grow between renders)."""
        if len(self._upem) != len(self.chain.fonts):
            self._upem = np.asarray([f.upem for f in self.chain.fonts], dtype=np.float64)
            self._upem.flags.writeable = False
        return self._upem

    def line_box(self, shaped: ShapedText) -> LineBox:
        """Ascent and descent (in em) of the fonts this text is drawn with (kept per set of
        fonts: texts of one script draw with the same few)."""
        box = self._line_boxes.get(shaped.drawn_fonts)
        if box is None:
            fonts = [self.chain.fonts[i] for i in shaped.drawn_fonts]
            box = LineBox(
                max(f.ascender for f in fonts),
                max(f.descender for f in fonts),
                centered=self.config.layout == "strip",
            )
            self._line_boxes[shaped.drawn_fonts] = box
        return box

    def _scaled_box(self, shaped: ShapedText, box_em: LineBox, size: float) -> LineBox:
        """`box_em` at `size` px (kept per set of fonts and size, as `line_box` is)."""
        key = (shaped.drawn_fonts, size)
        box = self._scaled_boxes.get(key)
        if box is None:
            if len(self._scaled_boxes) > 64:  # `fit` meets a size per text
                self._scaled_boxes.clear()
            box = self._scaled_boxes[key] = box_em.scaled(size)
        return box

    def atlas(self, size: float) -> GlyphAtlas:
        """The glyph atlas of a font size (sizes within 1e-4 px share one)."""
        atlas = self._atlases.get(size)  # a size in whole 1/8 px is its own key: no rounding
        if atlas is None:
            key = round(size, 4)
            atlas = self._atlases.get(key)
            if atlas is None:
                if len(self._atlases) > 8:
                    self._atlases.clear()
                page_pixels = self.geometry.width * self.geometry.height
                atlas = self._atlases[key] = GlyphAtlas(
                    self.chain.fonts, key, float(self.config.hscale), page_pixels=page_pixels
                )
        return atlas

    def render(self, text: str) -> RenderResult:
        if not isinstance(text, str):
            raise UsageError("render() takes a str; decode bytes first (pixtok.io.decode_text)")
        if not text.strip():
            raise InputError("the input text is empty (nothing but whitespace)")
        config = self.config
        prepared = prepare(text, config.newlines, config.newline_marker)
        layout = self._layouts.get(prepared.text)
        if layout is None:
            layout = self._layout(prepared)
            self._remember(prepared.text, layout)
            return self._draw(text, prepared, layout)
        return self._draw(text, prepared, layout, repeat=True)

    def _remember(self, key: str, layout: _Layout) -> None:
        if len(key) > _CACHE_TEXT_CHARS or layout.size > _CACHE_GLYPHS:
            return
        self._layouts[key] = layout
        self._cached_glyphs += layout.size
        while self._cached_glyphs > _CACHE_GLYPHS:
            _, old = self._layouts.popitem(last=False)
            self._cached_glyphs -= old.size
            self._stamp_bytes -= old.stamp_bytes

    # -- layout ------------------------------------------------------------------------------

    def _breaks(self, prepared: PreparedText, shaped: ShapedText) -> Breaks:
        text = prepared.text
        languages = shaped.runs.languages
        locale = self.config.lang or (languages[0] if len(languages) == 1 else "")
        soft = line_break_opportunities(text, icu_locale(locale))
        if len(prepared.marker_ends):
            soft = np.union1d(soft, prepared.marker_ends)
        return Breaks(soft=soft, forced=forced_breaks(shaped.cps))

    def _tab_interval(self, shaped: ShapedText, geometry: Geometry) -> np.ndarray | None:
        """Distance between tab stops (px) for every glyph of a tab, 0 for other glyphs."""
        if "\t" not in shaped.text:
            return None
        tabs = np.flatnonzero(shaped.cps[shaped.cluster] == 9) if len(shaped.gid) else []
        if not len(tabs):
            return None
        interval = np.zeros(len(shaped.gid))
        if geometry.tab_px is not None:
            interval[tabs] = geometry.tab_px
            return interval
        space = np.asarray([_space_em(f) for f in self.chain.fonts])
        scale = geometry.size * float(self.config.hscale)
        interval[tabs] = (space[shaped.font[tabs]] * scale + geometry.letter_spacing) * int(
            self.config.tab_size
        )
        return np.maximum(interval, 0.0)

    def _lines(
        self, shaped: ShapedText, breaks: Breaks, geometry: Geometry
    ) -> tuple[ShapedText, np.ndarray, Lines, TextFacts]:
        """Break lines at this geometry, reshaping where a break fell unsafe to break."""
        upem = self.upem()
        hscale = float(self.config.hscale)
        advance = advances_px(shaped, upem, geometry, hscale)
        facts = TextFacts(shaped)
        lines = break_lines(shaped, advance, geometry, breaks, self._tab_interval(shaped, geometry), facts)
        repaired = repair_unsafe_breaks(shaped, lines, facts)
        if repaired is not shaped:
            shaped = repaired
            facts = TextFacts(shaped)
            advance = advances_px(shaped, upem, geometry, hscale)
        return shaped, advance, lines, facts

    def _layout(self, prepared: PreparedText) -> _Layout:
        config = self.config
        shaped = self.shaper.shape(prepared, config.lang)
        breaks = self._breaks(prepared, shaped)
        box_em = self.line_box(shaped)
        geometry = self.geometry
        if config.layout == "fit":
            geometry = self._fit(shaped, breaks, box_em)
        elif config.layout == "strip":
            # Keep room for the end-of-sequence patch on every strip.
            geometry = _with(geometry, margins=(0.0, float(config.patch_size), 0.0, 0.0))
            geometry, box = self._strip_fit(shaped, geometry)
        if config.layout != "strip":
            box = self._scaled_box(shaped, box_em, geometry.size)
        shaped_lines, advance, lines, facts = self._lines(shaped, breaks, geometry)
        placed = place(
            shaped_lines,
            advance,
            lines,
            geometry,
            config.align,
            float(config.hscale),
            box,
            self.upem(),
            facts,
        )
        return self._pixels_layout(shaped_lines, lines, placed, geometry, box)

    def _ink_rows(self, shaped: ShapedText, size: float) -> tuple[int, int]:
        """Rows of ink above and below the baseline (px, whole) of the glyphs of a text at `size`."""
        visible = np.flatnonzero(shaped.gid != INVISIBLE)
        if not len(visible):
            return 0, 0
        atlas = self.atlas(size)
        slots = atlas.slots(shaped.font[visible], shaped.gid[visible])
        a = atlas.arrays()
        inked = a["h"][slots] > 0
        if not inked.any():
            return 0, 0
        upem = self.upem()
        lift = np.rint(shaped.y_offset[visible] * (size / upem[shaped.font[visible]])).astype(np.int64)
        above = a["top"][slots] + lift
        below = a["h"][slots] - a["top"][slots] - lift
        return int(above[inked].max()), int(max(below[inked].max(), 0))

    def _strip_fit(self, shaped: ShapedText, geometry: Geometry) -> tuple[Geometry, LineBox]:
        """Strips centre the ink of their text, and shrink the text (by 1/8 px steps) until its
        ink fits the strip height: no mark, matra or descender is cut off."""
        size = geometry.size
        while True:
            above, below = self._ink_rows(shaped, size)
            if above + below <= geometry.line_height or size <= 1.0:
                break
            size = max(1.0, math.floor(size * geometry.line_height / (above + below) * 8) / 8)
            if self._ink_rows(shaped, size) == (above, below):
                size = max(1.0, size - 0.125)
        if size != geometry.size:
            geometry = _with(geometry, size=size)
        return geometry, LineBox(float(above), float(below), centered=True)

    def _fit(self, shaped: ShapedText, breaks: Breaks, box_em: LineBox) -> Geometry:
        """The largest font size (to 1/8 px) at which the whole text fits on one page."""
        base = self.geometry
        ratio = base.line_height / base.size

        def fits(size: float) -> bool:
            trial = _with(base, size=size, line_height=size * ratio, letter_spacing=base.letter_spacing)
            box = box_em.scaled(size)
            if box.ascent + box.descent > trial.text_height:
                return False
            _, advance, lines, facts = self._lines(shaped, breaks, trial)
            if len(lines) > lines_per_page(trial, box):
                return False
            g0, g1 = facts.char_glyph[lines.start], facts.char_glyph[lines.end]
            cum = np.concatenate(([0.0], np.cumsum(advance)))
            return float((cum[g1] - cum[g0] - lines.available).max(initial=0)) <= 1e-6

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

    def _pixels_layout(
        self, shaped: ShapedText, lines: Lines, placed: PlacedGlyphs, geometry: Geometry, box: LineBox
    ) -> _Layout:
        """Where every glyph's bitmap lands, page sizes, and the ink that falls off the pages."""
        config = self.config
        atlas = self.atlas(geometry.size)
        slots = atlas.slots(shaped.font, shaped.gid, placed.index)
        boxes = atlas.boxes(slots, placed.x, placed.baseline)
        n_lines = len(lines)
        if config.layout == "strip" and len(slots):
            boxes = _inside_left_edge(boxes, placed.line, n_lines)
        per_page, _, line_page = page_rows(geometry, box, n_lines)
        n_pages = int(line_page[-1]) + 1 if n_lines else 1
        width, height = geometry.width, geometry.height

        # Line extents: pen advances for cropping (a cropped page keeps the last glyph's side
        # bearing), ink for the strip end patch (PIXEL's black patch follows the last inked patch).
        if config.layout == "crop":
            line_right = _glyph_boxes.line_right(
                placed.line, placed.x, placed.advance, n_lines, geometry.margins[3], False
            )
        elif config.layout == "strip":
            line_right = _glyph_boxes.line_right(
                placed.line, boxes.left.astype(np.float64), boxes.width.astype(np.float64),
                n_lines, geometry.margins[3], True,
            )  # fmt: skip
        else:
            line_right = None
        page_widths = [width] * n_pages
        page_heights = [height] * n_pages
        if config.layout == "crop":
            crop_width = min(width, math.ceil(max(line_right.tolist(), default=0.0) + geometry.margins[1]))
            page_widths = [max(crop_width, 1)] * n_pages
            last_rows = n_lines - (n_pages - 1) * per_page
            used = box.used_height(last_rows, geometry)
            page_heights[-1] = min(height, max(1, math.ceil(used)))
        return _Layout(
            shaped=shaped,
            lines=lines,
            placed=placed,
            geometry=geometry,
            box=box,
            atlas=atlas,
            slots=slots,
            boxes=boxes,
            line_page=line_page,
            page_widths=page_widths,
            page_heights=page_heights,
            line_right=line_right,
        )

    # -- pixels ------------------------------------------------------------------------------

    def _draw(self, text: str, prepared: PreparedText, layout: _Layout, repeat: bool = False) -> RenderResult:
        """The result of a laid-out text, its pages drawn when first read."""
        shaped, geometry = layout.shaped, layout.geometry
        return RenderResult(
            config=self.config,
            geometry=geometry,
            chars=len(text),
            lines=len(layout.lines),
            line_page=layout.line_page,
            missing=dict(shaped.missing),
            font_size_px=geometry.size,
            page_sizes=list(zip(layout.page_widths, layout.page_heights, strict=True)),
            languages=list(shaped.runs.languages),
            overflow_clusters=layout.placed.overflow_clusters,
            _each_page=functools.partial(self._each_page, layout, repeat),
            _ink_from_glyphs=self._dark and self.config.layout != "strip",  # no end patch
            _layout=layout,
            _prepared=prepared,
            _describe_font=functools.partial(_describe_font, self.chain.fonts, self._font_descriptions),
        )

    def _each_page(self, layout: _Layout, repeat: bool) -> Iterator[np.ndarray]:
        config = self.config
        placed, boxes = layout.placed, layout.boxes
        atlas = layout.atlas
        slots = layout.slots
        n_pages = len(layout.page_widths)
        n_lines = len(layout.lines)

        # Pages are composited in batches (one numpy pass per batch, bounded memory).
        dark = self._dark
        if n_pages <= _BATCH:  # one batch: every glyph
            bounds = [0, len(placed.page)]
        else:
            bounds = np.searchsorted(placed.page, np.arange(0, n_pages + _BATCH, _BATCH)).tolist()
        for b, first_page in enumerate(range(0, n_pages, _BATCH)):
            count = min(_BATCH, n_pages - first_page)
            # Cropped pages are drawn at their own size: no copy to crop them afterwards.
            height = max(layout.page_heights[first_page : first_page + count])
            width = max(layout.page_widths[first_page : first_page + count])
            ink = self._page_buffers.blank((count, height, width), 255 if dark else 0)
            sel = slice(bounds[b], bounds[b + 1])
            target = ink if count > 1 else ink[0]
            stamp = layout.stamps.get(b)
            if stamp is not None:
                drawn = atlas.press(target, stamp, dark)
            else:
                page_of_glyph = placed.page[sel] - first_page if count > 1 else None
                # A text drawn again may well be drawn a third time: keep its pixels, within
                # budget, while its layout is kept (pages read late may outlive it).
                keep = (
                    repeat
                    and self._stamp_bytes < _STAMP_BYTES
                    and self._layouts.get(layout.shaped.text) is layout
                )
                stamp, drawn = atlas.composite(
                    target, slots[sel], boxes.left[sel], boxes.top[sel], page_of_glyph,
                    dark=dark, keep=keep,
                )  # fmt: skip
                if stamp is not None:
                    layout.stamps[b] = stamp
                    self._stamp_bytes += sum(f.nbytes + v.nbytes for f, v in stamp)
            if config.layout == "strip":
                for i in range(count):
                    line = first_page + i
                    right = float(layout.line_right[line]) if line < n_lines else 0.0
                    _end_patch(ink[i], right, config.patch_size, 0 if dark else 255)
            elif dark:  # the pages are the buffer itself, handed on read-only
                self._page_buffers.drawn(ink, *drawn)
            colored = ink if dark else colorize(ink, self.foreground, self.background, config.color_mode)
            for i in range(count):
                p = first_page + i
                page = colored[i]
                if page.shape[:2] != (layout.page_heights[p], layout.page_widths[p]):
                    page = np.ascontiguousarray(page[: layout.page_heights[p], : layout.page_widths[p]])
                page.flags.writeable = False
                yield page
            # Let go of the batch's buffer before the next is asked for: once the caller has let
            # go of its pages too, the pool hands the same buffer out again.
            del ink, target, colored, page


def _describe_font(fonts: list[Any], descriptions: dict[int, dict[str, Any]], index: int) -> dict[str, Any]:
    """A copy of what a render's summary says of font `index` of a chain (made once per chain
    font, kept in `descriptions`)."""
    if index not in descriptions:
        descriptions[index] = fonts[index].describe()
    return dict(descriptions[index])


def _space_em(font: Any) -> float:
    """Advance of a font's space (U+0020) in em (half an em if it has none)."""
    glyph = font.hb_font.get_nominal_glyph(0x20)
    if glyph is None:
        return 0.5
    return font.hb_font.get_glyph_h_advance(glyph) / font.upem


def _line_char_spans(lines: Lines, to_original: Any, n_chars: int) -> np.ndarray:
    """[start, end) offsets of each line in the input text (a line ends where the next begins)."""
    spans = np.empty((len(lines), 2), dtype=np.int64)
    if len(lines):
        starts = spans[:, 0]
        starts[:] = to_original(np.minimum(lines.start, max(n_chars - 1, 0)))
        starts[0] = 0
        spans[:-1, 1] = starts[1:]
        spans[-1, 1] = n_chars
    return spans


def _inside_left_edge(boxes: GlyphPixels, line: np.ndarray, n_lines: int) -> GlyphPixels:
    """Strips start at x = 0: a line whose first glyph reaches left of its pen (a negative side
    bearing, as DejaVu Sans 'J') moves right by that much rather than lose the column."""
    inked = boxes.width > 0
    lowest = np.zeros(n_lines, dtype=np.int64)
    np.minimum.at(lowest, line[inked], boxes.left[inked])
    if not (lowest < 0).any():
        return boxes
    return dataclasses.replace(boxes, left=boxes.left - lowest[line])


def _end_patch(ink: np.ndarray, text_right: float, patch: int, value: int = 255) -> None:
    """PIXEL marks the end of a sequence with an all-black patch right after the text (`value`:
    full coverage, or black on a page drawn in place)."""
    start = math.ceil(text_right / patch) * patch
    if start + patch <= ink.shape[1]:
        ink[: min(patch, ink.shape[0]), start : start + patch] = value


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
