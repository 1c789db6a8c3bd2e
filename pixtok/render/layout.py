"""Shaped glyphs to lines and pages: line breaking, tab stops, alignment, bidi reordering,
pagination.

Geometry only: this module decides where each glyph's pen position lands (in pixels, floats)
and on which page; it draws nothing. Lines are filled greedily: a line ends at the last break
opportunity (ICU's, see `breaking`) at which its glyphs, measured by summing their advances,
still fit; trailing spaces hang past the end. A word wider than a line is broken between
grapheme clusters, and a single cluster wider than a line is placed anyway (it overflows, and
the render counts it). Where a line ends inside a run at a place HarfBuzz marks unsafe to
break, the glyphs on either side of the break are shaped again on their own.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, replace

import numpy as np

from pixtok.render import _layout
from pixtok.render.breaking import grapheme_boundaries
from pixtok.render.config import Geometry
from pixtok.render.harfbuzz import UNSAFE_TO_BREAK
from pixtok.render.itemize import is_mark
from pixtok.render.shaping import INVISIBLE, ShapedText
from pixtok.render.text import _CJK_RANGES, HANGING_SPACES, is_hanging_space

_EPS = 1e-6
#: Characters past a line's width that `_inside_word` looks at first for grapheme boundaries.
_GRAPHEME_LOOKAHEAD = 32
#: How far (in clusters) the edges of a line are followed to a place safe to break.
_MAX_EDGE = 64
#: Word separators that justification stretches (CSS Text 3: space and no-break space, and the
#: typographic spaces).
_SEPARATORS = np.asarray([0x20, 0xA0, 0x1680, *range(0x2000, 0x200B), 0x202F, 0x205F], dtype=np.uint32)
_CJK_LOW = np.asarray([low for low, _ in _CJK_RANGES], dtype=np.uint32)
_CJK_HIGH = np.asarray([high for _, high in _CJK_RANGES], dtype=np.uint32)
#: Whether each code point hangs at a line end (newlines included), as 0 or 1; the last entry, 0,
#: stands for every code point past the table.
_HANGS = is_hanging_space(np.arange(ord(max(HANGING_SPACES)) + 2, dtype=np.uint32), newline=True).view(
    np.uint8
)
_NO_INTS = np.zeros(0, dtype=np.int64)
_NO_FLOATS = np.zeros(0, dtype=np.float64)
_NO_FLAGS = np.zeros(0, dtype=np.uint8)


@dataclass
class Breaks:
    """Where lines may end in a prepared text: character offsets at which a line may start.

    `soft` are break opportunities (ICU's, plus the ends of newline markers); `forced` follow
    newlines and the end of the text. Both ascending; the end of the text is in `forced`.
    """

    soft: np.ndarray
    forced: np.ndarray


@dataclass
class Lines:
    """Lines as character ranges of the prepared text: [start, end) drawn (trailing spaces
    excluded), `next_start` where the next line begins."""

    start: np.ndarray
    end: np.ndarray
    next_start: np.ndarray
    paragraph_start: np.ndarray  # first line of a paragraph (gets the indent)
    paragraph_end: np.ndarray  # last line of a paragraph (not justified)
    base_level: np.ndarray  # 0 left-to-right paragraph, 1 right-to-left
    available: np.ndarray  # width available to the line in px
    tab_advance: dict[int, float]  # px advance of every tab on a line, by character offset

    def __len__(self) -> int:
        return len(self.start)


@dataclass
class PlacedGlyphs:
    """Glyphs that will be drawn, with pen positions in px."""

    index: np.ndarray  # index into the ShapedText glyph arrays
    x: np.ndarray  # pen x + x offset, px (float)
    baseline: np.ndarray  # baseline y of the glyph, px (float), minus y offset
    page: np.ndarray
    line: np.ndarray
    advance: np.ndarray  # pen advance of the glyph on its line (justification and tabs included)
    overflow_clusters: int  # clusters that reach past the text area because nothing narrower fits


def advances_px(shaped: ShapedText, upem: np.ndarray, geometry: Geometry, hscale: float) -> np.ndarray:
    """Pen advance of every glyph in px, with horizontal scale and letter spacing applied.

    `upem` gives the units per em of each font of the chain. Letter spacing goes after each
    cluster of a letter and its marks (a mark's glyph takes none, so marks stay on their base).
    """
    spacing = float(geometry.letter_spacing)
    marks = is_mark(shaped.cps).view(np.uint8) if spacing else _NO_FLAGS
    return _layout.glyph_advances(
        shaped.advance,
        shaped.font,
        upem,
        geometry.size * hscale,
        shaped.cluster,
        shaped.gid,
        marks,
        spacing,
        INVISIBLE,
    )


class TextFacts:
    """Per-character facts of a shaped text that line breaking and placement need.

    `char_glyph`: the first glyph at or after each character boundary. `content_end`: the
    offset just after the last character before each boundary that is not a hanging space.
    `boundary`: where a line may start without splitting a cluster. `tab`: offsets of tabs.
    """

    def __init__(self, shaped: ShapedText) -> None:
        self.n = len(shaped.text)
        self.cps = shaped.cps
        self.cluster = shaped.cluster
        facts = _layout.text_facts(self.cps, self.cluster, shaped.runs.start, shaped.runs.end, _HANGS)
        if facts is None:
            raise ValueError("glyph clusters must be in logical order")
        self.char_glyph, self.content_end, self.boundary, self.tab = facts


def break_lines(
    shaped: ShapedText,
    advance: np.ndarray,
    geometry: Geometry,
    breaks: Breaks,
    tab_interval: np.ndarray | None = None,
    facts: TextFacts | None = None,
) -> Lines:
    """Greedy line breaking at the break opportunities.

    A line ends at the last opportunity before the next forced break at which its glyphs, up to
    the last that is not a hanging space, fit the text width (less the indent on the first line
    of a paragraph). Most lines are measured by their pen positions from the start of the text;
    a line that holds a tab (whose advance depends on where the line starts) is measured by
    `_with_tabs`, and a word wider than the line is cut by `_inside_word`. `tab_interval` gives,
    per glyph, the distance between tab stops in px (0 elsewhere).
    """
    facts = facts or TextFacts(shaped)
    advance = np.ascontiguousarray(advance, dtype=np.float64)
    tab_advance: dict[int, float] = {}

    def with_tabs(s: int, stop: int, indent: float) -> np.ndarray:
        return _with_tabs(facts, advance, tab_interval, s, stop, indent, tab_advance)

    def inside_word(positions: np.ndarray, s: int, c: int, avail: float) -> int:
        return _inside_word(shaped.text, facts, positions, s, c, avail)

    start, end, next_start, first, last, base, available = _layout.greedy_lines(
        advance,
        facts.char_glyph,
        facts.content_end,
        facts.boundary,
        facts.tab,
        breaks.soft,
        breaks.forced,
        shaped.base_level,
        float(geometry.text_width),
        float(geometry.indent),
        _EPS,
        with_tabs,
        inside_word,
    )
    return Lines(
        start=start,
        end=end,
        next_start=next_start,
        paragraph_start=first,
        paragraph_end=last,
        base_level=base,
        available=available,
        tab_advance=tab_advance,
    )


def _with_tabs(
    facts: TextFacts,
    advance: np.ndarray,
    tab_interval: np.ndarray | None,
    s: int,
    stop: int,
    indent: float,
    tab_advance: dict[int, float],
) -> np.ndarray:
    """Pen position at every character boundary for a line starting at s, each tab before `stop`
    advancing to the next tab stop. Tab stops are counted from the start edge of the text area
    (the indent of a first line counts), and a tab always moves the pen forward."""
    local = advance.copy()
    tabs = facts.tab[(facts.tab >= s) & (facts.tab < stop)]
    g0 = facts.char_glyph[s]
    cum = np.concatenate(([0.0], np.cumsum(local)))
    shift = 0.0
    for t in tabs.tolist():
        g = int(facts.char_glyph[t])
        if g >= len(local) or facts.cluster[g] != t:
            continue
        pen = indent + cum[g] - cum[g0] + shift
        interval = float(tab_interval[g]) if tab_interval is not None else 0.0
        if interval <= 0:
            continue
        stop_x = (math.floor(pen / interval + _EPS) + 1) * interval
        shift += (stop_x - pen) - local[g]
        local[g] = stop_x - pen
        tab_advance[t] = stop_x - pen
    return np.concatenate(([0.0], np.cumsum(local)))[facts.char_glyph]


def _inside_word(text: str, facts: TextFacts, positions: np.ndarray, s: int, c: int, avail: float) -> int:
    """Where a line starting at s must end inside the word [s, c) that is wider than the line:
    the last grapheme boundary that fits, or after one grapheme if none does (it overflows).

    Grapheme boundaries are found in a window a little past the line's width, not over the whole
    word, so that cutting an unbroken word of n characters into lines costs O(n), not O(n²); the
    window grows until it holds a boundary that does not fit (pens only move forward, so none
    after it can) or reaches the word's end. A boundary UAX #29 finds before the end of a window
    is one of the whole word's: its rules look back, never ahead past the next character."""
    room = avail + _EPS
    over = s + int(np.searchsorted(positions[s : c + 1], positions[s] + room, side="right"))
    end = min(c, over + _GRAPHEME_LOOKAHEAD)
    while True:
        bounds = s + grapheme_boundaries(text[s:end])
        if end < c:
            bounds = bounds[bounds < end]  # the end of a window is no boundary of the word
        bounds = bounds[(bounds > s) & facts.boundary[bounds]]
        if end == c or (len(bounds) and positions[bounds[-1]] - positions[s] > room):
            break
        end = min(c, end + max(end - s, _GRAPHEME_LOOKAHEAD))
    if not len(bounds):
        return c
    fits = bounds[positions[bounds] - positions[s] <= room]
    return int(fits[-1]) if len(fits) else int(bounds[0])


def repair_unsafe_breaks(shaped: ShapedText, lines: Lines, facts: TextFacts | None = None) -> ShapedText:
    """Shape again the glyphs on both sides of every line break that falls where HarfBuzz marked
    the text unsafe to break; the rest of each line keeps the glyphs of its run. Where every
    edge shapes as it did in its run (the marks are cautious: most such breaks change nothing),
    the text is returned as it was."""
    if len(lines) < 2 or not len(shaped.gid):
        return shaped
    facts = facts or TextFacts(shaped)
    unsafe = _layout.unsafe_breaks(
        lines.next_start[:-1], facts.char_glyph, shaped.flags, UNSAFE_TO_BREAK,
        shaped.runs.start, shaped.runs.end, facts.n,
    )  # fmt: skip
    if not len(unsafe):
        return shaped
    pieces = _layout.edge_pieces(
        unsafe, lines.next_start, shaped.runs.start, shaped.runs.end, lines.start, lines.end,
        facts.boundary, facts.char_glyph, shaped.flags, UNSAFE_TO_BREAK, _MAX_EDGE,
    )  # fmt: skip
    pieces, run = pieces[:, :2], pieces[:, 2]
    fresh, count = shaped.reshape(pieces, run)
    index = _layout.splice_index(
        facts.char_glyph[pieces[:, 0]], facts.char_glyph[pieces[:, 1]], count, len(shaped)
    )
    columns = (shaped.gid, shaped.font, shaped.advance, shaped.x_offset, shaped.y_offset, shaped.cluster)
    columns += (shaped.level, shaped.flags)
    spliced = _layout.splice_glyphs(index, columns, tuple(fresh))
    if spliced is None:  # the line edges shape as they did in their runs
        return shaped
    gid, font, advance, x_offset, y_offset, cluster, level, flags = spliced
    return replace(
        shaped, gid=gid, font=font, advance=advance, x_offset=x_offset, y_offset=y_offset,
        cluster=cluster, level=level, flags=flags,
    )  # fmt: skip


@dataclass(frozen=True)
class LineBox:
    """Vertical metrics of a block of text, in px.

    `ascent`/`descent` are the tallest and deepest of the fonts the text uses. On pages the first
    baseline sits `ascent` below the top margin and a page holds as many lines as fit with the
    last one's `descent` above the bottom margin, so no line spills into a margin whatever the
    line height. In strips (`centered`) each line's box is centred in its line height (whole
    pixels: a box that fits is never cut).
    """

    ascent: float
    descent: float
    centered: bool = False

    def __hash__(self) -> int:
        """Made once: `page_rows` looks a box up for every text."""
        known = self.__dict__.get("_hash")
        if known is None:
            known = hash((self.ascent, self.descent, self.centered))
            object.__setattr__(self, "_hash", known)
        return known

    def scaled(self, factor: float) -> LineBox:
        return LineBox(self.ascent * factor, self.descent * factor, self.centered)

    def baseline(self, row: np.ndarray, geometry: Geometry) -> np.ndarray:
        """Baseline y (px) of the line in each row of a page."""
        if self.centered:
            slack = math.floor((geometry.line_height - self.ascent - self.descent) / 2)
            return geometry.margins[0] + row * geometry.line_height + slack + self.ascent
        return geometry.margins[0] + self.ascent + row * geometry.line_height

    def used_height(self, rows: int, geometry: Geometry) -> float:
        """Height a page needs for `rows` lines, margins included."""
        if self.centered:
            return geometry.margins[0] + rows * geometry.line_height + geometry.margins[2]
        return (
            geometry.margins[0]
            + self.ascent
            + (rows - 1) * geometry.line_height
            + self.descent
            + geometry.margins[2]
        )


def lines_per_page(geometry: Geometry, box: LineBox) -> int:
    """How many lines fit in the text area: at least one (a line taller than the area is placed
    anyway, and what falls off the page is counted as clipped ink)."""
    if box.centered:
        count = math.floor(geometry.text_height / geometry.line_height + 1e-9)
    else:
        room = geometry.text_height - box.ascent - box.descent
        count = math.floor(room / geometry.line_height + 1e-9) + 1
    return max(count, 1)


@functools.lru_cache(maxsize=256)
def page_rows(geometry: Geometry, box: LineBox, lines: int) -> tuple[int, np.ndarray, np.ndarray]:
    """How many lines a page holds, the baseline y (px) of each row a text of `lines` lines
    fills, and the page of each of its lines. Read-only arrays, kept per geometry and line
    count met: texts of one set-up share them."""
    per_page = lines_per_page(geometry, box)
    rows = np.arange(min(lines, per_page))
    row_baseline = np.ascontiguousarray(box.baseline(rows, geometry), dtype=np.float64)
    line_page = np.arange(lines) // per_page
    row_baseline.flags.writeable = False
    line_page.flags.writeable = False
    return per_page, row_baseline, line_page


def place(
    shaped: ShapedText,
    advance: np.ndarray,
    lines: Lines,
    geometry: Geometry,
    align: str,
    hscale: float,
    box: LineBox,
    upem: np.ndarray,
    facts: TextFacts | None = None,
) -> PlacedGlyphs:
    """Pen positions of every drawn glyph: tabs, alignment, justification, bidi order, pages.

    Each line takes the glyphs of its characters, a tab the advance line breaking gave it.
    With `justify`, every line but the last of a paragraph is filled: its slack is spread over
    its word separators, and on lines holding CJK text also between every two clusters where
    one is CJK (inter-character justification, as CSS Text 3 does for CJK). A line starts at
    the edge its alignment gives (`start` and `justify` follow the paragraph's direction), a
    first line indented. Glyphs go into visual order (UAX #9 L2), each pen x following the
    advances before it on its line, and lines fill pages from the top.
    """
    facts = facts or TextFacts(shaped)
    tab_chars, tab_px = _NO_INTS, _NO_FLOATS
    if lines.tab_advance:
        tab_chars = np.fromiter(lines.tab_advance, dtype=np.int64)
        tab_px = np.fromiter(lines.tab_advance.values(), dtype=np.float64)
    per_page, row_baseline, _ = page_rows(geometry, box, len(lines))
    index, x, baseline, page, line, adv, overflow = _layout.place_glyphs(
        lines.start,
        lines.end,
        lines.paragraph_start,
        lines.paragraph_end,
        lines.base_level,
        lines.available,
        facts.char_glyph,
        advance,
        shaped.cluster,
        shaped.gid,
        shaped.level,
        shaped.font,
        shaped.x_offset,
        shaped.y_offset,
        facts.cps,
        upem,
        tab_chars,
        tab_px,
        row_baseline,
        per_page,
        align,
        float(geometry.margins[3]),
        float(geometry.text_width),
        float(geometry.indent),
        float(geometry.size),
        float(hscale),
        INVISIBLE,
        _SEPARATORS,
        _CJK_LOW,
        _CJK_HIGH,
    )
    return PlacedGlyphs(
        index=index, x=x, baseline=baseline, page=page, line=line, advance=adv, overflow_clusters=overflow
    )
