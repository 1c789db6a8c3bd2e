"""Runs to shaped glyphs with HarfBuzz: one HarfBuzz call per run, its output read into numpy
arrays (`harfbuzz`).

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

Where the layout breaks a line inside a run, HarfBuzz's `UNSAFE_TO_BREAK` glyph flag says
whether the two sides would shape differently apart; only then are the line's edges shaped
again (`ShapedText.reshape`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from pixtok.render._shape import run_columns
from pixtok.render.direction import text_levels
from pixtok.render.fonts import FontChain
from pixtok.render.harfbuzz import GlyphRecords, Item, new_shaper, run_items
from pixtok.render.itemize import Itemizer, Runs, char_properties, character_table
from pixtok.render.text import PreparedText, codepoints

#: Glyph id given to characters that shape to nothing drawable (controls, format characters).
INVISIBLE = -1

Glyphs = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]


@dataclass
class ShapedText:
    """Glyphs of a whole prepared text in logical order, and the runs they were shaped in.

    Glyph arrays: `gid` (-1: nothing to draw), `font` (index in the chain), `advance`,
    `x_offset`, `y_offset` (font units of that font), `cluster` (offset of the glyph's
    character in the prepared text), `level` (bidi embedding level), `flags` (HarfBuzz's glyph
    flags). `base_level` is the bidi paragraph level of every character.
    """

    text: str
    cps: np.ndarray  # code points of `text`
    gid: np.ndarray
    font: np.ndarray
    advance: np.ndarray
    x_offset: np.ndarray
    y_offset: np.ndarray
    cluster: np.ndarray
    level: np.ndarray
    flags: np.ndarray
    base_level: np.ndarray
    runs: Runs
    run_glyph_start: np.ndarray
    #: The chain's fonts that draw at least one glyph (ascending; (0,) when none does). Glyphs
    #: reshaped at line edges keep them: the same characters, shaped in their runs' fonts.
    drawn_fonts: tuple[int, ...]
    shaper: Shaper = field(repr=False)

    def __len__(self) -> int:
        return len(self.gid)

    @property
    def has_bidi(self) -> bool:
        return bool(self.level.size and self.level.max() > 0)

    @property
    def missing(self) -> dict[str, int]:
        return self.runs.missing

    def reshape(self, pieces: np.ndarray, run: np.ndarray) -> tuple[Glyphs, np.ndarray]:
        """The glyphs of each piece text[start:end] ((k, 2) offsets) shaped alone (no context
        across its ends), in the properties of its run (`run[k]`), one piece after the other:
        gid, font, advance, x_offset, y_offset, cluster, level and flags, in logical order; and
        the glyph count of each piece. One HarfBuzz pass for all pieces."""
        runs = self.runs
        held = run.tolist()
        as_runs = Runs(
            start=np.ascontiguousarray(pieces[:, 0]),
            end=np.ascontiguousarray(pieces[:, 1]),
            font=runs.font[run],
            level=runs.level[run],
            script=[runs.script[r] for r in held],
            language=[runs.language[r] for r in held],
            missing={},
        )
        cps = self.shaper.codepoints(self.text, self.cps)
        records = self.shaper.harfbuzz.shape_runs(
            cps, as_runs, self.shaper.chain.fonts, logical=True, alone=True
        )
        _, level, font, _ = _run_columns(records, as_runs, self.cps)
        glyphs = (
            records.gid, font, records.x_advance, records.x_offset, records.y_offset,
            records.cluster, level, records.flags,
        )  # fmt: skip
        return glyphs, records.count


class Shaper:
    """Shapes prepared texts with one font chain."""

    def __init__(self, chain: FontChain) -> None:
        self.chain = chain
        self.itemizer = Itemizer(chain)
        self.harfbuzz = new_shaper()

    def items(self, runs: Runs) -> list[Item]:
        """What HarfBuzz needs to shape each run in one call."""
        return run_items(runs, self.chain.fonts)

    @staticmethod
    def codepoints(text: str, cps: np.ndarray | None = None) -> np.ndarray:
        """The code points HarfBuzz shapes of a text (`cps`, when given, are its code points): a
        tab shapes as a space (the layout sets its width)."""
        cps = codepoints(text) if cps is None else cps
        if "\t" not in text:  # known without reading the code points
            return cps
        return np.where(cps == 9, np.uint32(32), cps)

    def shape(self, prepared: PreparedText, language: str | None = None) -> ShapedText:
        """Itemize a prepared text and shape each run; `language` is the user's BCP 47 tag."""
        text = prepared.text
        cps = codepoints(text)
        levels, base_level = text_levels(text, cps)
        runs = self.itemizer.itemize(text, cps, levels, language)
        records = self.harfbuzz.shape_runs(self.codepoints(text, cps), runs, self.chain.fonts, logical=True)
        gid, cluster, flags = records.gid, records.cluster, records.flags
        advance, x_offset, y_offset = records.x_advance, records.x_offset, records.y_offset
        run_glyph_start, level, font, drawn_fonts = _run_columns(records, runs, cps)
        return ShapedText(
            text=text,
            cps=cps,
            gid=gid,
            font=font,
            advance=advance,
            x_offset=x_offset,
            y_offset=y_offset,
            cluster=cluster,
            level=level,
            flags=flags,
            base_level=base_level,
            runs=runs,
            run_glyph_start=run_glyph_start,
            drawn_fonts=drawn_fonts,
            shaper=self,
        )


def _run_columns(
    records: GlyphRecords, runs: Runs, cps: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple[int, ...]]:
    """The first glyph of each run, each glyph's run level and font, and the fonts that draw a
    glyph; glyphs of characters that need no glyph (controls, format characters) and that the
    font lacks are hidden, in `records` itself (`_shape.run_columns`)."""
    columns = (records.count, runs.level, runs.font, records.gid, records.cluster)
    columns += (records.x_advance, records.x_offset, records.y_offset, cps)
    found = run_columns(*columns, *character_table(), INVISIBLE)
    if found is None:  # a character the table does not describe yet: described first
        char_properties(cps)
        found = run_columns(*columns, *character_table(), INVISIBLE)
    return found
