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

import math
from dataclasses import dataclass, replace

import numpy as np

from pixtok.render.breaking import grapheme_boundaries
from pixtok.render.config import Geometry
from pixtok.render.direction import visual_order_lines
from pixtok.render.itemize import is_mark
from pixtok.render.shaping import INVISIBLE, ShapedText
from pixtok.render.text import is_cjk, is_hanging_space

_EPS = 1e-6
#: How far (in clusters) the edges of a line are followed to a place safe to break.
_MAX_EDGE = 64
#: Word separators that justification stretches (CSS Text 3: space and no-break space, and the
#: typographic spaces).
_SEPARATORS = np.asarray([0x20, 0xA0, 0x1680, *range(0x2000, 0x200B), 0x202F, 0x205F], dtype=np.uint32)


@dataclass(frozen=True)
class Breaks:
    """Where lines may end in a prepared text: character offsets at which a line may start.

    `soft` are break opportunities (ICU's, plus the ends of newline markers); `forced` follow
    newlines and the end of the text. Both ascending; the end of the text is in `forced`.
    """

    soft: np.ndarray
    forced: np.ndarray


@dataclass(frozen=True)
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


@dataclass(frozen=True)
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
    scale = geometry.size * hscale
    advance = shaped.advance.astype(np.float64) * (scale / upem[shaped.font])
    if geometry.letter_spacing and len(advance):
        cps = shaped.cps
        cluster = shaped.cluster
        nxt = np.append(cluster[1:], -1)
        ends = nxt != cluster
        followed_by_mark = np.append(is_mark(cps[cluster[1:]]), False)
        spaced = ends & ~followed_by_mark & (shaped.gid != INVISIBLE)
        advance += np.where(spaced, geometry.letter_spacing, 0.0)
    return advance


def _previous(mask: np.ndarray) -> np.ndarray:
    return np.maximum.accumulate(np.where(mask, np.arange(len(mask)), -1))


def sorted_union(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The sorted distinct values of two arrays (np.union1d without its hashing pass)."""
    both = np.concatenate((a, b))
    both.sort()
    if len(both) < 2:
        return both
    keep = np.empty(len(both), dtype=bool)
    keep[0] = True
    np.not_equal(both[1:], both[:-1], out=keep[1:])
    return both[keep]


class TextFacts:
    """Per-character facts of a shaped text that line breaking and placement need."""

    def __init__(self, shaped: ShapedText) -> None:
        text = shaped.text
        n = len(text)
        self.n = n
        self.cps = shaped.cps
        self.cluster = shaped.cluster
        # The first glyph at or after each character boundary.
        self.char_glyph = np.searchsorted(shaped.cluster, np.arange(n + 1), side="left")
        hang = is_hanging_space(self.cps, newline=True)
        # Offset just after the last character before each boundary that is not a hanging space.
        self.content_end = np.concatenate(([0], _previous(~hang) + 1))
        boundary = np.zeros(n + 1, dtype=bool)
        boundary[shaped.cluster] = True
        boundary[shaped.runs.start] = True
        boundary[shaped.runs.end] = True
        newlines = np.flatnonzero(self.cps == 10)
        boundary[newlines] = True
        boundary[newlines + 1] = True
        boundary[n] = True
        self.boundary = boundary  # a line may start here without splitting a cluster
        self.tab = np.flatnonzero(self.cps == 9)


def break_lines(
    shaped: ShapedText,
    advance: np.ndarray,
    geometry: Geometry,
    breaks: Breaks,
    tab_interval: np.ndarray | None = None,
    facts: TextFacts | None = None,
) -> Lines:
    """Greedy line breaking at the break opportunities.

    For every candidate line start, one vectorised search finds the furthest opportunity that
    fits; the greedy pass then follows these pointers, taking a slower path only for lines
    that hold a tab (whose advance depends on where the line starts) or a word wider than the
    line. `tab_interval` gives, per glyph, the distance between tab stops in px (0 elsewhere).
    """
    facts = facts or TextFacts(shaped)
    n = facts.n
    cum = np.zeros(len(advance) + 1)
    np.cumsum(advance, out=cum[1:])
    x_at = cum[facts.char_glyph]
    reach = np.maximum.accumulate(x_at)  # searchable even where negative spacing pulls back
    soft = breaks.soft[facts.boundary[breaks.soft]]
    candidates = sorted_union(soft, breaks.forced)
    forced = np.zeros(len(candidates), dtype=bool)
    forced_at = np.searchsorted(candidates, breaks.forced)  # ascending and distinct, as `forced` is
    forced[forced_at] = True
    trim = np.maximum(facts.content_end[candidates], 0)
    cand_x = reach[trim]
    next_forced = forced_at[np.searchsorted(forced_at, np.arange(len(candidates)))]

    width, indent = geometry.text_width, geometry.indent
    line_start = np.concatenate(([0], candidates[:-1]))
    starts_paragraph = np.concatenate(([True], forced[:-1]))
    room = width - np.where(starts_paragraph, indent, 0.0) if indent else width
    fast_end = np.searchsorted(cand_x, x_at[line_start] + room + _EPS, side="right") - 1
    fast_end = np.minimum(fast_end, next_forced)
    has_tab = np.zeros(len(candidates), dtype=bool)
    if len(facts.tab):
        tabs_before = np.searchsorted(facts.tab, np.append(candidates, n + 1))
        tabs_at_start = np.searchsorted(facts.tab, line_start)
        has_tab = tabs_before[next_forced] > tabs_at_start

    fast_end_l, line_start_l = fast_end.tolist(), line_start.tolist()
    cand_l, trim_l, next_forced_l = candidates.tolist(), trim.tolist(), next_forced.tolist()
    para_l, has_tab_l = starts_paragraph.tolist(), has_tab.tolist()
    tab_advance: dict[int, float] = {}

    starts: list[int] = []
    ends: list[int] = []
    nexts: list[int] = []
    first_flags: list[bool] = []
    last_flags: list[bool] = []
    j, s, first = 0, 0, True
    n_cand = len(cand_l)
    while j < n_cand:
        k = fast_end_l[j]
        if s == line_start_l[j] and first == para_l[j] and k >= j and not has_tab_l[j]:
            end, next_s = max(trim_l[k], s), cand_l[k]
        else:
            avail = width - (indent if first else 0.0)
            positions = x_at
            if has_tab_l[j]:
                positions = _with_tabs(
                    facts,
                    advance,
                    tab_interval,
                    s,
                    cand_l[next_forced_l[j]],
                    indent if first else 0.0,
                    tab_advance,
                )
            k = _furthest(positions, trim_l, cand_l, j, next_forced_l[j], s, avail)
            if k >= j:
                end, next_s = max(trim_l[k], s), cand_l[k]
            else:
                end = next_s = _inside_word(shaped.text, facts, positions, s, cand_l[j], avail)
                if next_s == cand_l[j]:
                    k, end = j, max(trim_l[j], s)
        starts.append(s)
        ends.append(end)
        nexts.append(next_s)
        first_flags.append(first)
        if k < j or next_s != cand_l[k]:  # broke inside a word
            last_flags.append(False)
            s, first = next_s, False
            continue
        ends_paragraph = k == next_forced_l[j]
        last_flags.append(ends_paragraph)
        s, first, j = next_s, ends_paragraph, k + 1
    start_arr = np.asarray(starts, dtype=np.int64)
    para_first = np.asarray(first_flags, dtype=bool)
    base = shaped.base_level[np.minimum(start_arr, max(n - 1, 0))] if n else np.zeros(len(starts), np.int8)
    return Lines(
        start=start_arr,
        end=np.asarray(ends, dtype=np.int64),
        next_start=np.asarray(nexts, dtype=np.int64),
        paragraph_start=para_first,
        paragraph_end=np.asarray(last_flags, dtype=bool),
        base_level=np.asarray(base, dtype=np.int8),
        available=width - np.where(para_first, indent, 0.0),
        tab_advance=tab_advance,
    )


def _furthest(
    positions: np.ndarray, trim: list[int], cand: list[int], j: int, f: int, s: int, avail: float
) -> int:
    """The last candidate in [j, f] whose line from s fits in `avail` (j - 1: none does)."""
    ends = np.maximum(np.asarray(trim[j : f + 1], dtype=np.int64), s)
    reach = np.maximum.accumulate(positions[ends])
    return j - 1 + int(np.searchsorted(reach, positions[s] + avail + _EPS, side="right"))


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
    the last grapheme boundary that fits, or after one grapheme if none does (it overflows)."""
    bounds = s + grapheme_boundaries(text[s:c])
    bounds = bounds[(bounds > s) & facts.boundary[bounds]]
    if not len(bounds):
        return c
    fits = bounds[positions[bounds] - positions[s] <= avail + _EPS]
    return int(fits[-1]) if len(fits) else int(bounds[0])


def repair_unsafe_breaks(shaped: ShapedText, lines: Lines, facts: TextFacts | None = None) -> ShapedText:
    """Shape again the glyphs on both sides of every line break that falls where HarfBuzz marked
    the text unsafe to break; the rest of each line keeps the glyphs of its run."""
    if len(lines) < 2 or not len(shaped.gid):
        return shaped
    facts = facts or TextFacts(shaped)
    breaks = lines.next_start[:-1]
    unsafe = breaks[shaped.unsafe_to_break(facts.char_glyph[breaks])]
    if len(unsafe):  # breaks at the edge of a run shape apart anyway
        run_edges = np.zeros(facts.n + 1, dtype=bool)
        run_edges[shaped.runs.start] = True
        run_edges[shaped.runs.end] = True
        unsafe = unsafe[~run_edges[unsafe] & (unsafe < facts.n)]
    if not len(unsafe):
        return shaped
    starts = np.flatnonzero(facts.boundary[:-1])  # every place a line could start
    safe = ~shaped.unsafe_to_break(facts.char_glyph[starts])
    pieces: list[tuple[int, int]] = []
    line_of_break = np.searchsorted(lines.next_start, unsafe)
    for b, line in zip(unsafe.tolist(), line_of_break.tolist(), strict=True):
        run = shaped.run_of_char(b)
        run_start, run_end = int(shaped.runs.start[run]), int(shaped.runs.end[run])
        lo = max(run_start, int(lines.start[line]))
        hi = min(run_end, int(lines.end[line + 1]) if line + 1 < len(lines) else run_end)
        # The nearest places safe to break before and after b, within _MAX_EDGE cluster starts.
        first, last = np.searchsorted(starts, [lo, b])
        first = max(int(first), int(last) - _MAX_EDGE)
        ok = np.flatnonzero(safe[first:last])
        a = int(starts[first + ok[-1]]) if len(ok) else lo
        first, last = np.searchsorted(starts, b, side="right"), np.searchsorted(starts, hi)
        last = min(int(last), int(first) + _MAX_EDGE)
        ok = np.flatnonzero(safe[first:last])
        c = int(starts[first + ok[0]]) if len(ok) else hi
        if pieces and pieces[-1][1] > a:
            a = pieces[-1][1]
        if a < b:
            pieces.append((a, b))
        if b < c:
            pieces.append((b, c))
    columns = [shaped.gid, shaped.font, shaped.advance, shaped.x_offset, shaped.y_offset, shaped.cluster]
    columns += [shaped.level, shaped.flags]
    out: list[list[np.ndarray]] = [[] for _ in columns]
    g = 0
    for a, b in pieces:
        ga, gb = int(facts.char_glyph[a]), int(facts.char_glyph[b])
        fresh = shaped.reshape(a, b)
        for k, column in enumerate(columns):
            out[k].append(column[g:ga])
            out[k].append(fresh[k].astype(column.dtype, copy=False))
        g = gb
    for k, column in enumerate(columns):
        out[k].append(column[g:])
    gid, font, advance, x_offset, y_offset, cluster, level, flags = (np.concatenate(parts) for parts in out)
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
    """Pen positions of every drawn glyph: tabs, alignment, justification, bidi order, pages."""
    facts = facts or TextFacts(shaped)
    n_lines = len(lines)
    g_start = facts.char_glyph[lines.start]
    g_end = np.maximum(facts.char_glyph[lines.end], g_start)
    counts = g_end - g_start
    line_of = np.repeat(np.arange(n_lines), counts)
    line_first = np.zeros(n_lines, dtype=np.int64)
    np.cumsum(counts[:-1], out=line_first[1:])
    index = np.repeat(g_start - line_first, counts) + np.arange(int(counts.sum()))
    rtl_paragraph = lines.base_level % 2 == 1
    justify = ~lines.paragraph_end if align == "justify" else np.zeros(n_lines, dtype=bool)

    adv = advance[index].copy()
    if lines.tab_advance:
        tab_chars = np.fromiter(lines.tab_advance, dtype=np.int64)
        tab_px = np.fromiter(lines.tab_advance.values(), dtype=np.float64)
        cluster = shaped.cluster[index]
        spot = np.searchsorted(tab_chars, cluster)
        hit = (spot < len(tab_chars)) & (tab_chars[np.minimum(spot, len(tab_chars) - 1)] == cluster)
        hit &= shaped.gid[index] != INVISIBLE
        adv[hit] = tab_px[spot[hit]]
    if justify.any() and len(index):
        natural = np.bincount(line_of, weights=adv, minlength=n_lines)
        adv += _justification(facts, shaped, index, line_of, justify, lines.available - natural)
    widths = np.bincount(line_of, weights=adv, minlength=n_lines) if len(adv) else np.zeros(n_lines)

    left = geometry.margins[3]
    text_width = geometry.text_width
    if align == "center":
        line_x = left + (text_width - widths) / 2
    elif align != "right" and not rtl_paragraph.any():  # every line starts at the left edge
        line_x = left + np.where(lines.paragraph_start, geometry.indent, 0.0) if geometry.indent else left
    else:  # start and justify follow the paragraph's direction
        right = rtl_paragraph if align in ("start", "justify") else np.full(n_lines, align == "right")
        indent = np.where(lines.paragraph_start, geometry.indent, 0.0)
        line_x = np.where(
            right, left + text_width - widths - np.where(rtl_paragraph, indent, 0.0),
            left + np.where(rtl_paragraph, 0.0, indent),
        )  # fmt: skip

    # Visual order (UAX #9 L2), for all lines at once.
    if shaped.has_bidi:
        order = visual_order_lines(shaped.level[index], line_of)
        index = index[order]
        adv = adv[order]
    # Pen x = line start + advances of the glyphs before it on the same line.
    cum = np.cumsum(adv) - adv
    line_origin = np.append(cum, 0.0)[line_first]  # empty lines (a first index past the end) repeat nothing
    pen = cum - np.repeat(line_origin, counts)
    pen += line_x[line_of] if isinstance(line_x, np.ndarray) else line_x
    font = shaped.font[index]
    scale = geometry.size / upem[font]
    x = pen + shaped.x_offset[index] * (scale * hscale)

    per_page = lines_per_page(geometry, box)
    row = np.arange(n_lines) % per_page
    page_of_line = np.arange(n_lines) // per_page
    baseline_of_line = box.baseline(row, geometry)
    baseline = baseline_of_line[line_of] - shaped.y_offset[index] * scale
    # Clusters of lines wider than their room that reach past the text area.
    over = widths > lines.available + 0.5
    overflow = 0
    if over.any():
        on_over = over[line_of]
        outside = on_over & ((pen + adv > left + text_width + 0.5) | (pen < left - 0.5))
        overflow = len(np.unique(shaped.cluster[index[outside]]))
    page = page_of_line[line_of]
    keep = shaped.gid[index] != INVISIBLE
    if not keep.all():
        index, x, baseline, page, line_of, adv = (a[keep] for a in (index, x, baseline, page, line_of, adv))
    return PlacedGlyphs(
        index=index, x=x, baseline=baseline, page=page, line=line_of, advance=adv, overflow_clusters=overflow
    )


def _justification(
    facts: TextFacts,
    shaped: ShapedText,
    index: np.ndarray,
    line_of: np.ndarray,
    justify: np.ndarray,
    slack: np.ndarray,
) -> np.ndarray:
    """Extra advance per glyph (logical order) that fills each justified line: spread over its word
    separators, and on lines holding CJK text also between every two clusters where one is CJK
    (inter-character justification, as CSS Text 3 does for CJK)."""
    cluster = shaped.cluster[index]
    cps = facts.cps[cluster]
    separator = np.isin(cps, _SEPARATORS)
    cjk = is_cjk(cps)
    n = len(index)
    same_line_next = np.append(line_of[1:] == line_of[:-1], False)
    cluster_end = np.append(cluster[1:] != cluster[:-1], True) & same_line_next
    next_cjk = np.append(cjk[1:], False)
    line_has_cjk = np.bincount(line_of, weights=cjk, minlength=len(justify))[line_of] > 0
    opportunity = separator & cluster_end | (line_has_cjk & cluster_end & (cjk | next_cjk) & ~separator)
    # A separator at the very end of a line stretches nothing.
    opportunity &= same_line_next
    count = np.bincount(line_of, weights=opportunity, minlength=len(justify))
    extra = np.where(justify & (count > 0), np.maximum(slack, 0.0) / np.maximum(count, 1), 0.0)
    out = np.zeros(n)
    out[opportunity] = extra[line_of[opportunity]]
    return out
