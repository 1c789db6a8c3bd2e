"""Shaped glyphs to lines and pages: line breaking, alignment, bidi reordering, pagination.

Geometry only: this module decides where each glyph's pen position lands (in pixels, floats)
and on which page; it draws nothing. Lines are broken greedily at the opportunities found during
shaping; a word longer than a line is broken between clusters.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from pixtok.errors import UsageError
from pixtok.render.config import Geometry
from pixtok.render.direction import visual_order_lines
from pixtok.render.shaping import INVISIBLE, ShapedText
from pixtok.render.text import NEWLINE, SPACE


@dataclass(frozen=True)
class Lines:
    """Lines in logical glyph ranges: [start, end) drawn, `next_start` where the next line begins."""

    start: np.ndarray
    end: np.ndarray
    paragraph_start: np.ndarray  # first line of a paragraph (gets the indent)
    paragraph_end: np.ndarray  # last line of a paragraph (not justified)
    base_level: np.ndarray  # 0 left-to-right paragraph, 1 right-to-left
    width: np.ndarray  # natural width in px, trailing spaces excluded
    available: np.ndarray  # width available to the line in px
    char_start: np.ndarray  # offset in the shaped text where the line's characters begin

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


def advances_px(shaped: ShapedText, geometry: Geometry, hscale: float) -> np.ndarray:
    """Pen advance of every glyph in px, with horizontal scale and letter spacing applied."""
    scale = geometry.size * hscale
    advance = shaped.advance.astype(np.float64) * scale
    if geometry.letter_spacing and len(advance):
        # Letter spacing goes after each cluster (a character with its marks, a ligature).
        cluster_end = np.append(shaped.cluster[1:] != shaped.cluster[:-1], True)
        advance += np.where(cluster_end & (shaped.gid != INVISIBLE), geometry.letter_spacing, 0.0)
    return advance


def break_lines(shaped: ShapedText, advance: np.ndarray, geometry: Geometry) -> Lines:
    """Greedy line breaking at the opportunities computed while shaping.

    Candidates are the units after which a line may end; each knows where the next line would
    start and where this one would end with its trailing spaces trimmed. Newlines are forced
    candidates: a line never runs past one.
    """
    cum = np.concatenate(([0.0], np.cumsum(advance)))
    unit_end = shaped.unit_glyph_end
    kind = shaped.unit_kind
    is_content = (kind != SPACE) & (kind != NEWLINE)
    last_content = np.maximum.accumulate(np.where(is_content, np.arange(len(kind)), -1))
    trimmed_end_glyph = np.where(last_content >= 0, unit_end[np.maximum(last_content, 0)], 0)

    candidates = np.flatnonzero(shaped.break_after)
    cand_next = unit_end[candidates]
    cand_trim = trimmed_end_glyph[candidates]
    cand_x = cum[cand_trim]
    last = len(candidates) - 1
    # For each candidate, the index of the first forced (or final) candidate at or after it.
    forced = (kind[candidates] == NEWLINE) | (np.arange(len(candidates)) == last)
    forced_positions = np.flatnonzero(forced)
    next_forced = forced_positions[np.searchsorted(forced_positions, np.arange(len(candidates)))]
    cluster = shaped.cluster
    cluster_starts = (
        np.flatnonzero(np.concatenate(([True], cluster[1:] != cluster[:-1])))
        if len(cluster)
        else np.zeros(0, int)
    )
    cluster_x = cum[cluster_starts]

    text_width, indent, eps = geometry.text_width, geometry.indent, 1e-6
    n_cand = len(candidates)
    # Where each line would end if it started right after candidate j-1 (j = 0: the text start):
    # one vectorised search for all possible line starts; the greedy pass then only follows
    # these pointers. Lines that must break inside a word take the slow path below.
    line_start = np.concatenate(([0], cand_next[:-1]))
    starts_paragraph = np.concatenate(([True], forced[:-1]))
    room = text_width - np.where(starts_paragraph, indent, 0.0)
    fast_end = np.searchsorted(cand_x, cum[line_start] + room + eps, side="right") - 1
    fast_end = np.minimum(fast_end, next_forced)
    fast_end_list = fast_end.tolist()
    line_start_list = line_start.tolist()
    trim_list = cand_trim.tolist()
    next_list = cand_next.tolist()
    next_forced_list = next_forced.tolist()
    starts_paragraph_list = starts_paragraph.tolist()

    def slow(s: int, ci: int, first: bool) -> tuple[int, int, int]:
        """Line from glyph s (maybe inside a word): (end, next start, candidate ended at or -1)."""
        avail = text_width - (indent if first else 0.0)
        x0 = cum[s]
        f = next_forced_list[ci]
        k = ci - 1 + int(np.searchsorted(cand_x[ci : f + 1], x0 + avail + eps, side="right"))
        if k >= ci:
            return max(trim_list[k], s), next_list[k], k
        # The next word alone is wider than the line: break it between clusters.
        c = int(np.searchsorted(cluster_x, x0 + avail + eps, side="right")) - 1
        end = int(cluster_starts[c]) if c >= 0 else s
        if end <= s:  # not even one cluster fits: take one anyway
            above = cluster_starts[cluster_starts > s]
            end = int(above[0]) if len(above) else len(advance)
        end = min(end, max(trim_list[ci], s + 1))
        return end, end, -1

    # The character where a line starting after candidate j-1 begins (the unit after it).
    unit_after = np.concatenate(([0], candidates[:-1] + 1))
    char_after = np.append(shaped.unit_char_start, shaped.unit_char_start[-1:] + 1)[unit_after].tolist()
    starts: list[int] = []
    ends: list[int] = []
    para_first: list[bool] = []
    para_last: list[bool] = []
    line_cand: list[int] = []
    char_starts: list[int] = []
    j = 0
    s = 0
    first = True
    while j < n_cand:
        k = fast_end_list[j]
        if s == line_start_list[j] and first == starts_paragraph_list[j] and k >= j:
            end, next_s = max(trim_list[k], s), next_list[k]
        else:
            end, next_s, k = slow(s, j, first)
        char_starts.append(char_after[j] if s == line_start_list[j] else int(cluster[s]))
        starts.append(s)
        ends.append(end)
        para_first.append(first)
        line_cand.append(j)
        if k < 0:  # broke inside a word
            para_last.append(False)
            s, first = next_s, False
            continue
        ends_paragraph = k == next_forced_list[j]
        para_last.append(ends_paragraph)
        s, first, j = next_s, ends_paragraph, k + 1
    avails = [text_width - (indent if f else 0.0) for f in para_first]
    bases = shaped.unit_base_level[candidates[np.asarray(line_cand, dtype=np.int64)]]
    start_arr = np.asarray(starts, dtype=np.int64)
    end_arr = np.asarray(ends, dtype=np.int64)
    return Lines(
        start=start_arr,
        end=end_arr,
        paragraph_start=np.asarray(para_first, dtype=bool),
        paragraph_end=np.asarray(para_last, dtype=bool),
        base_level=bases.astype(np.int8),
        width=cum[end_arr] - cum[start_arr],
        available=np.asarray(avails, dtype=np.float64),
        char_start=np.asarray(char_starts, dtype=np.int64),
    )


@dataclass(frozen=True)
class LineBox:
    """Vertical metrics of a block of text, in px.

    `ascent`/`descent` are the tallest and deepest of the fonts the text uses. On pages the first
    baseline sits `ascent` below the top margin and a page holds as many lines as fit with the
    last one's `descent` above the bottom margin, so no line spills into a margin whatever the
    line height. In strips (`centered`) each line is centred in its line box instead.
    """

    ascent: float
    descent: float
    centered: bool = False

    def scaled(self, factor: float) -> LineBox:
        return LineBox(self.ascent * factor, self.descent * factor, self.centered)

    def baseline(self, row: np.ndarray, geometry: Geometry) -> np.ndarray:
        """Baseline y (px) of the line in each row of a page."""
        if self.centered:
            return (
                geometry.margins[0]
                + row * geometry.line_height
                + (geometry.line_height - self.ascent - self.descent) / 2
                + self.ascent
            )
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
    """How many lines fit in the text area."""
    if box.centered:
        count = math.floor(geometry.text_height / geometry.line_height + 1e-9)
    else:
        room = geometry.text_height - box.ascent - box.descent
        count = math.floor(room / geometry.line_height + 1e-9) + 1
        if count < 1 and geometry.line_height <= geometry.text_height + 1e-9:
            count = 1  # one line fits by its line height, though tall marks may reach the margins
    if count < 1:
        raise UsageError(
            f"a line of {geometry.size:g} px text does not fit in the text area "
            f"({geometry.text_height:g} px high); lower --size, --line-height or --margin"
        )
    return count


def place(
    shaped: ShapedText,
    advance: np.ndarray,
    lines: Lines,
    geometry: Geometry,
    align: str,
    hscale: float,
    box: LineBox,
) -> PlacedGlyphs:
    """Pen positions of every drawn glyph: alignment, justification, bidi order, pages."""
    n_lines = len(lines)
    counts = lines.end - lines.start
    line_of = np.repeat(np.arange(n_lines), counts)
    index = np.repeat(lines.start - np.concatenate(([0], np.cumsum(counts)[:-1])), counts) + np.arange(
        int(counts.sum())
    )
    rtl_paragraph = lines.base_level % 2 == 1
    resolved = np.full(n_lines, align, dtype=object)
    if align == "start":
        resolved = np.where(rtl_paragraph, "right", "left")
    justify = (resolved == "justify") & ~lines.paragraph_end
    resolved = np.where(resolved == "justify", np.where(rtl_paragraph, "right", "left"), resolved)

    # Per-glyph advance with justification spread over the spaces of each justified line.
    adv = advance[index].copy()
    if justify.any():
        unit_kind_of_glyph = np.repeat(
            shaped.unit_kind, np.diff(np.concatenate(([0], shaped.unit_glyph_end)))
        )
        is_space = unit_kind_of_glyph[index] == SPACE
        spaces_per_line = np.bincount(line_of, weights=is_space, minlength=n_lines)
        extra = np.where(
            justify & (spaces_per_line > 0),
            (lines.available - lines.width) / np.maximum(spaces_per_line, 1),
            0.0,
        )
        adv += np.where(is_space, extra[line_of], 0.0)
    widths = np.bincount(line_of, weights=adv, minlength=n_lines) if len(adv) else np.zeros(n_lines)

    left = geometry.margins[3]
    indent = np.where(lines.paragraph_start, geometry.indent, 0.0)
    text_width = geometry.text_width
    line_x = np.select(
        [resolved == "left", resolved == "right", resolved == "center"],
        [
            left + np.where(rtl_paragraph, 0.0, indent),
            left + text_width - widths - np.where(rtl_paragraph, indent, 0.0),
            left + (text_width - widths) / 2,
        ],
        default=left,
    )

    # Visual order (UAX #9 L2), for all lines at once.
    order = visual_order_lines(shaped.level[index], line_of) if shaped.has_bidi else np.arange(len(index))
    index = index[order]
    adv = adv[order]
    # Pen x = line start + advances of the glyphs before it on the same line.
    cum = np.cumsum(adv) - adv
    line_first = np.concatenate(([0], np.cumsum(counts)[:-1]))
    line_origin = np.append(cum, 0.0)[line_first]  # empty lines (a first index past the end) repeat nothing
    pen = cum - np.repeat(line_origin, counts) + line_x[line_of]
    scale = geometry.size
    x = pen + shaped.x_offset[index].astype(np.float64) * scale * hscale

    per_page = lines_per_page(geometry, box)
    row = np.arange(n_lines) % per_page
    page_of_line = np.arange(n_lines) // per_page
    baseline_of_line = box.baseline(row, geometry)
    baseline = baseline_of_line[line_of] - shaped.y_offset[index].astype(np.float64) * scale
    keep = shaped.gid[index] != INVISIBLE
    return PlacedGlyphs(
        index=index[keep],
        x=x[keep],
        baseline=baseline[keep],
        page=page_of_line[line_of][keep],
        line=line_of[keep],
    )
