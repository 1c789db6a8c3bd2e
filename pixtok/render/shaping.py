"""Runs to shaped glyphs with HarfBuzz: one `hb.shape` call per run, its output read into numpy
arrays.

A paragraph in one font, script, direction and language is one run, so kerning, ligatures,
contextual forms and proportional punctuation apply across the whole of it, spaces and hyphens
included, exactly as when HarfBuzz shapes the paragraph on its own. Buffers are set to the
cluster level `MONOTONE_GRAPHEMES`: every glyph carries the offset of the first character of
its cluster (a letter with its marks, a ligature, an Indic syllable part), and clusters grow
with the offset in logical order. (At the finer `MONOTONE_CHARACTERS` level a mark that a font
draws inside a ligature with its neighbour, as Noto Sans Devanagari draws ि with ं, gets an
empty glyph of its own, and the mark seems to leave no ink.) Metrics stay in font units:
shaping does not depend on the font size, so `fit` layout can try many sizes without shaping
again.

Where the layout breaks a line inside a run, HarfBuzz's `UNSAFE_TO_BREAK` flag says whether the
two sides would shape differently apart; only then are the line's edges shaped again
(`ShapedText.reshape`). Flags are read for those glyphs only: reading them for every glyph
costs more than shaping.
"""

from __future__ import annotations

import bisect
import functools
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any

import numpy as np
import uharfbuzz as hb

from pixtok.render.direction import text_levels
from pixtok.render.fonts import FontChain
from pixtok.render.itemize import Itemizer, Runs, is_invisible
from pixtok.render.text import PreparedText, codepoints

#: Glyph id given to characters that shape to nothing drawable (controls, format characters).
INVISIBLE = -1
#: Every glyph maps back to the characters of its cluster; clusters never decrease in logical order.
CLUSTER_LEVEL = hb.BufferClusterLevel.MONOTONE_GRAPHEMES
#: HarfBuzz's buffer context reaches at most five characters either side of an item.
_CONTEXT = 5
#: HarfBuzz's default features (kerning, ligatures, contextual alternates, `locl`...).
FEATURES: dict[str, Any] = {}

_CODEPOINT = attrgetter("codepoint")
_CLUSTER = attrgetter("cluster")
_X_ADVANCE = attrgetter("x_advance")
_X_OFFSET = attrgetter("x_offset")
_Y_OFFSET = attrgetter("y_offset")

Glyphs = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]


@dataclass
class ShapedText:
    """Glyphs of a whole prepared text in logical order, and the runs they were shaped in.

    Glyph arrays: `gid` (-1: nothing to draw), `font` (index in the chain), `advance`,
    `x_offset`, `y_offset` (font units of that font), `cluster` (offset of the glyph's
    character in the prepared text), `level` (bidi embedding level). `base_level` is the bidi
    paragraph level of every character.
    """

    text: str
    gid: np.ndarray
    font: np.ndarray
    advance: np.ndarray
    x_offset: np.ndarray
    y_offset: np.ndarray
    cluster: np.ndarray
    level: np.ndarray
    base_level: np.ndarray
    runs: Runs
    run_glyph_start: np.ndarray
    shaper: Shaper = field(repr=False)
    _infos: list[list[Any]] = field(repr=False, default_factory=list)

    def __len__(self) -> int:
        return len(self.gid)

    @property
    def has_bidi(self) -> bool:
        return bool(self.level.size and self.level.max() > 0)

    @property
    def missing(self) -> dict[str, int]:
        return self.runs.missing

    def run_of_char(self, offset: int) -> int:
        """The run holding character `offset` (-1 for a newline, which belongs to none)."""
        r = int(np.searchsorted(self.runs.start, offset, side="right")) - 1
        return r if r >= 0 and offset < int(self.runs.end[r]) else -1

    def unsafe_to_break(self, glyph: int) -> bool:
        """Whether HarfBuzz marked the cluster of this glyph unsafe to break before."""
        if not 0 <= glyph < len(self.gid) or not self._infos:
            return False
        r = bisect.bisect_right(self._run_starts, glyph) - 1
        infos = self._infos[r]
        k = glyph - int(self.run_glyph_start[r])
        if self.runs.level[r] % 2:
            k = len(infos) - 1 - k
        return bool(int(infos[k].flags) & int(hb.GlyphFlags.UNSAFE_TO_BREAK))

    def reshape(self, start: int, end: int) -> Glyphs:
        """Glyphs of text[start:end] shaped alone (no context across its ends), in the run
        properties of the run that holds it."""
        r = self.run_of_char(start)
        font, level = int(self.runs.font[r]), int(self.runs.level[r])
        lo, infos, positions = self.shaper.harfbuzz(
            self.text, start, end, font, level, self.runs.script[r], self.runs.language[r], context=False
        )
        if level % 2:  # HarfBuzz returns right-to-left runs in visual order; keep logical order
            infos, positions = infos[::-1], positions[::-1]
        n = len(infos)
        return (
            np.fromiter(map(_CODEPOINT, infos), dtype=np.int32, count=n),
            np.full(n, font, dtype=np.int32),
            np.fromiter(map(_X_ADVANCE, positions), dtype=np.int32, count=n),
            np.fromiter(map(_X_OFFSET, positions), dtype=np.int32, count=n),
            np.fromiter(map(_Y_OFFSET, positions), dtype=np.int32, count=n),
            np.fromiter(map(_CLUSTER, infos), dtype=np.int64, count=n) + lo,
            np.full(n, level, dtype=np.int8),
        )

    @functools.cached_property
    def _run_starts(self) -> list[int]:
        return self.run_glyph_start.tolist()

    def release(self) -> None:
        """Drop HarfBuzz's glyph records once lines are broken (they are large)."""
        self._infos = []


class Shaper:
    """Shapes prepared texts with one font chain."""

    def __init__(self, chain: FontChain) -> None:
        self.chain = chain
        self.itemizer = Itemizer(chain)

    def shape(self, prepared: PreparedText, language: str | None = None) -> ShapedText:
        """Itemize a prepared text and shape each run; `language` is the user's BCP 47 tag."""
        text = prepared.text
        cps = codepoints(text)
        levels, base_level = text_levels(text)
        runs = self.itemizer.itemize(text, cps, levels, language)
        shaping_text = text.replace("\t", " ") if "\t" in text else text
        columns: tuple[list[int], ...] = ([], [], [], [], [])
        counts: list[int] = []
        offsets: list[int] = []
        infos: list[list[Any]] = []
        for a, b, font, level, script, lang in zip(
            runs.start.tolist(), runs.end.tolist(), runs.font.tolist(), runs.level.tolist(),
            runs.script, runs.language, strict=True,
        ):  # fmt: skip
            lo, run_infos, positions = self.harfbuzz(shaping_text, a, b, font, level, script, lang)
            order = run_infos[::-1] if level % 2 else run_infos
            places = positions[::-1] if level % 2 else positions
            columns[0].extend(map(_CODEPOINT, order))
            columns[1].extend(map(_CLUSTER, order))
            columns[2].extend(map(_X_ADVANCE, places))
            columns[3].extend(map(_X_OFFSET, places))
            columns[4].extend(map(_Y_OFFSET, places))
            counts.append(len(run_infos))
            offsets.append(lo)
            infos.append(run_infos)
        gid = np.asarray(columns[0], dtype=np.int32)
        count = np.asarray(counts, dtype=np.int64)
        cluster = np.asarray(columns[1], dtype=np.int64) + np.repeat(
            np.asarray(offsets, dtype=np.int64), count
        )
        advance, x_offset, y_offset = (np.asarray(c, dtype=np.int32) for c in columns[2:])
        font = np.repeat(runs.font.astype(np.int32), count)
        level = np.repeat(runs.level, count)
        # Characters that need no glyph (controls, format characters) and that the font lacks.
        notdef = np.flatnonzero(gid == 0)
        if len(notdef):
            hidden = notdef[is_invisible(cps[cluster[notdef]])]
            gid[hidden] = INVISIBLE
            advance[hidden] = x_offset[hidden] = y_offset[hidden] = 0
        return ShapedText(
            text=text,
            gid=gid,
            font=font,
            advance=advance,
            x_offset=x_offset,
            y_offset=y_offset,
            cluster=cluster,
            level=level,
            base_level=base_level,
            runs=runs,
            run_glyph_start=np.concatenate(([0], np.cumsum(count))),
            shaper=self,
            _infos=infos,
        )

    def harfbuzz(
        self,
        text: str,
        start: int,
        end: int,
        font_index: int,
        level: int,
        script: str | None,
        language: str,
        context: bool = True,
    ) -> tuple[int, list[Any], list[Any]]:
        """Shape text[start:end] in one font, direction, script and language, with up to five
        characters of context either side (`context`). Returns where the buffer's text starts
        (clusters count from there) and HarfBuzz's glyph records and positions, in its order."""
        lo, hi = (max(start - _CONTEXT, 0), min(end + _CONTEXT, len(text))) if context else (start, end)
        buf = hb.Buffer()
        buf.add_str(text[lo:hi], start - lo, end - start)
        buf.direction = "rtl" if level % 2 else "ltr"
        buf.language = language or "und"
        buf.cluster_level = CLUSTER_LEVEL
        if script:
            buf.script = script
        else:
            buf.guess_segment_properties()
        hb.shape(self.chain.fonts[font_index].hb_font, buf, FEATURES)
        return lo, buf.glyph_infos, buf.glyph_positions
