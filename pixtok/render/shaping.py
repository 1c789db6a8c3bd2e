"""Text to shaped glyphs with HarfBuzz: font fallback per character, bidi runs, and a cache of
shaped units so that each distinct word is shaped once per font chain.

Glyph metrics are kept in em units (font units / units-per-em): shaping does not depend on the
font size, so `fit` layout can try many sizes without shaping again.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

import numpy as np
import uharfbuzz as hb

from pixtok.render.direction import has_rtl, text_levels
from pixtok.render.fonts import FontChain, needs_glyph, preferred_script
from pixtok.render.text import (
    CJK,
    MARKER,
    NEWLINE,
    NO_BREAK_AFTER,
    NO_BREAK_BEFORE,
    SPACE,
    WORD,
    unit_pattern,
)

#: Glyph id given to characters that shape to nothing drawable (controls, format characters).
INVISIBLE = -1
_MAX_CACHED_UNITS = 200_000


@dataclass
class ShapedText:
    """Glyphs of a whole text in logical order, with the units they came from.

    Glyph arrays: `gid` (-1: nothing to draw), `font` (index in the chain), `advance`, `x_offset`,
    `y_offset` (em), `cluster` (index of the first character in the prepared text), `level`
    (bidi embedding level). Unit arrays: `unit_kind`, `unit_glyph_end` (cumulative glyph count),
    `break_after` (a line may end after this unit), `unit_base_level` (its paragraph's direction).
    """

    gid: np.ndarray
    font: np.ndarray
    advance: np.ndarray
    x_offset: np.ndarray
    y_offset: np.ndarray
    cluster: np.ndarray
    level: np.ndarray
    unit_kind: np.ndarray
    unit_glyph_end: np.ndarray
    break_after: np.ndarray
    unit_base_level: np.ndarray
    unit_char_start: np.ndarray
    missing: dict[str, int] = field(default_factory=dict)

    @property
    def has_bidi(self) -> bool:
        return bool(self.level.size and self.level.max() > 0)


@dataclass(frozen=True)
class SpaceContext:
    """Where a space stands: the signature (font, script) of the text before it, and the
    characters on either side."""

    signature: int
    before: str
    after: str


class _UnitTable:
    """Shaped units, pooled into flat arrays so a text is assembled by one gather."""

    def __init__(self) -> None:
        self.index: dict[object, int] = {}
        self.kind: list[int] = []
        self.no_break_before: list[bool] = []
        self.no_break_after: list[bool] = []
        self.hyphen_end: list[bool] = []
        self.glyph_count: list[int] = []
        self.missing: list[dict[str, int] | None] = []
        # Font and script the unit starts and ends in (see Shaper._signature).
        self.first_signature: list[int] = []
        self.signature: list[int] = []
        self.parts: list[tuple[np.ndarray, ...]] = []
        self._pooled_units = 0
        self.pool: tuple[np.ndarray, ...] = ()
        self.props: tuple[np.ndarray, ...] = ()

    def __len__(self) -> int:
        return len(self.kind)

    def add(
        self,
        key: object,
        kind: int,
        text: str,
        shaped: tuple[np.ndarray, ...],
        missing: dict[str, int],
        signatures: tuple[int, int],
    ) -> int:
        self.index[key] = len(self.kind)
        self.kind.append(kind)
        self.no_break_before.append(text[0] in NO_BREAK_BEFORE)
        self.no_break_after.append(text[-1] in NO_BREAK_AFTER)
        self.hyphen_end.append(kind == WORD and len(text) > 1 and text[-1] in "-\u2010")
        self.glyph_count.append(len(shaped[0]))
        self.missing.append(missing or None)
        self.first_signature.append(signatures[0])
        self.signature.append(signatures[1])
        self.parts.append(shaped)
        return len(self.kind) - 1

    def pooled(self) -> tuple[tuple[np.ndarray, ...], tuple[np.ndarray, ...]]:
        """Flat glyph arrays of all units and per-unit properties (rebuilt after units were added)."""
        if self._pooled_units != len(self.kind):
            columns = list(zip(*self.parts, strict=True))
            self.pool = tuple(np.concatenate(col) for col in columns)
            counts = np.asarray(self.glyph_count, dtype=np.int64)
            starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
            self.props = (
                np.asarray(self.kind, dtype=np.int8),
                np.asarray(self.no_break_before, dtype=bool),
                np.asarray(self.no_break_after, dtype=bool),
                np.asarray(self.hyphen_end, dtype=bool),
                counts,
                starts,
                np.asarray([m is not None for m in self.missing], dtype=bool),
                np.asarray(self.signature, dtype=np.int64),
                np.asarray(self.first_signature, dtype=np.int64),
            )
            self._pooled_units = len(self.kind)
        return self.pool, self.props


class Shaper:
    """Shapes texts with one font chain, caching each distinct unit."""

    def __init__(self, chain: FontChain, marker: str | None = None) -> None:
        self.chain = chain
        self.marker = marker
        self._pattern = unit_pattern(marker)
        self._units = _UnitTable()
        # Scripts in which a space shapes like a Latin one share code 0.
        self._script_codes: dict[str, int] = {"Latn": 0, "Zyyy": 0, "Zinh": 0, "Zzzz": 0}
        self._scripts: list[str] = ["Latn"]

    def _signature(self, font: int, script: str) -> int:
        """A small integer naming a (font, script) pair: the context a space is shaped in."""
        code = self._script_codes.get(script)
        if code is None:
            code = self._script_codes[script] = len(self._scripts)
            self._scripts.append(script)
        return font * 1024 + code

    # -- one unit ---------------------------------------------------------------------------

    def _kind(self, unit: str) -> int:
        first = unit[0]
        if first == "\n":
            return NEWLINE
        if self.marker and unit == self.marker:
            return MARKER
        if first.isspace() or first == "\u200b":
            return SPACE
        if preferred_script(ord(first)) == "cjk":
            return CJK
        return WORD

    def _fonts_for(self, unit: str, context: int | None = None) -> tuple[list[int], dict[str, int]]:
        """Font per character; marks and joiners stay with the font of the character before them,
        and spaces with the `context` font (that of the text before them) when it has them."""
        fonts: list[int] = []
        missing: dict[str, int] = {}
        chosen = self.chain.font_indices(unit)
        for i, char in enumerate(unit):
            index = chosen[i]
            if context is not None and char.isspace() and ord(char) in self.chain.fonts[context].coverage:
                index = context
            visible = needs_glyph(char)
            if i and (not visible or _is_mark(char)):
                previous = fonts[-1]
                if previous >= 0 and (not visible or ord(char) in self.chain.fonts[previous].coverage):
                    index = previous
            if index < 0:
                if visible and not char.isspace():
                    missing[char] = missing.get(char, 0) + 1
                index = fonts[-1] if fonts and fonts[-1] >= 0 else 0
            fonts.append(index)
        return fonts, missing

    def _shape_unit(
        self, unit: str, levels: np.ndarray | None, context: SpaceContext | None = None
    ) -> tuple[tuple[np.ndarray, ...], dict[str, int], tuple[int, int]]:
        """Glyph arrays of one unit, the characters no font has, and the unit's first and last
        signatures. A space is shaped in its `context`: the font and script of the text before
        it, between the characters around it."""
        if unit == "\n":
            empty_i = np.zeros(0, dtype=np.int32)
            empty_f = np.zeros(0, dtype=np.float32)
            return (
                (
                    empty_i,
                    empty_i.astype(np.int16),
                    empty_f,
                    empty_f,
                    empty_f,
                    empty_i,
                    empty_i.astype(np.int8),
                ),
                {},
                (-1, -1),
            )
        context_font = None if context is None else context.signature // 1024
        fonts, missing = self._fonts_for(unit, context_font)
        if levels is None:
            levels = np.zeros(len(unit), dtype=np.int8)
        runs: list[tuple[np.ndarray, ...]] = []
        scripts: list[str] = []
        start = 0
        for end in range(1, len(unit) + 1):
            if end < len(unit) and fonts[end] == fonts[start] and levels[end] == levels[start]:
                continue
            run, script = self._shape_run(unit, start, end - start, fonts[start], int(levels[start]), context)
            runs.append(run)
            scripts.append(script)
            start = end
        shaped = tuple(np.concatenate(col) for col in zip(*runs, strict=True))
        return (
            shaped,
            missing,
            (self._signature(fonts[0], scripts[0]), self._signature(fonts[-1], scripts[-1])),
        )

    def _shape_run(
        self, unit: str, start: int, length: int, font_index: int, level: int, context: SpaceContext | None
    ) -> tuple[tuple[np.ndarray, ...], str]:
        """Glyph arrays (logical order) of unit[start:start+length] in one font and level, and the
        script HarfBuzz shaped it as. A space with a `context` is shaped between the characters
        around it, in their script, keeping only its own glyphs: fonts may choose a space by
        context (Noto Sans CJK widens spaces between Hangul syllables)."""
        if context is not None:
            text = context.before + unit + context.after
            script = self._scripts[context.signature % 1024]
            shaped = self._shape(
                text, font_index, level, span=(len(context.before), len(unit)), script=script
            )
            if shaped is not None:
                return shaped
        shaped = self._shape(unit, font_index, level, span=(start, length), item=True)
        assert shaped is not None  # a run shaped on its own always keeps its glyphs
        return shaped

    def _shape(
        self,
        text: str,
        font_index: int,
        level: int,
        span: tuple[int, int],
        item: bool = False,
        script: str | None = None,
    ) -> tuple[tuple[np.ndarray, ...], str] | None:
        """Shape `text` (only its `span` when `item`; all of it as context otherwise) and return
        the glyphs of the span, clusters counted from the span's start when it is shaped in
        context. None when context characters merge into the span's clusters."""
        font = self.chain.fonts[font_index]
        offset, length = span
        buf = hb.Buffer()
        if item:
            buf.add_str(text, offset, length)
        else:
            buf.add_str(text)
        buf.direction = "rtl" if level % 2 else "ltr"
        if script is not None:
            buf.script = script
        buf.guess_segment_properties()
        used_script = buf.script or "Zyyy"
        hb.shape(font.hb_font, buf, {})
        infos, positions = buf.glyph_infos, buf.glyph_positions
        shift = 0
        if not item:
            clusters = {i.cluster for i in infos}
            end = offset + length
            if offset not in clusters or (end < len(text) and end not in clusters):
                return None
            kept = [k for k, i in enumerate(infos) if offset <= i.cluster < end]
            infos, positions, shift = [infos[k] for k in kept], [positions[k] for k in kept], offset
        n = len(infos)
        gid = np.fromiter((i.codepoint for i in infos), dtype=np.int32, count=n)
        cluster = np.fromiter((i.cluster for i in infos), dtype=np.int32, count=n)
        metrics = np.array(
            [(p.x_advance, p.x_offset, p.y_offset) for p in positions], dtype=np.float32
        ).reshape(n, 3)
        metrics /= font.upem
        # Characters that need no glyph (controls, format characters) and that the font lacks.
        for k in np.flatnonzero(gid == 0):
            if not needs_glyph(text[cluster[k]]):
                gid[k] = INVISIBLE
                metrics[k] = 0
        cluster -= shift
        if level % 2:  # HarfBuzz returns right-to-left runs in visual order; keep logical order
            gid, cluster, metrics = gid[::-1], cluster[::-1], metrics[::-1]
        arrays = (
            gid,
            np.full(n, font_index, dtype=np.int16),
            np.ascontiguousarray(metrics[:, 0]),
            np.ascontiguousarray(metrics[:, 1]),
            np.ascontiguousarray(metrics[:, 2]),
            cluster,
            np.full(n, level, dtype=np.int8),
        )
        return arrays, used_script

    def _unit_id(
        self, key: object, unit: str, levels: np.ndarray | None, context: SpaceContext | None = None
    ) -> int:
        found = self._units.index.get(key)
        if found is not None:
            return found
        shaped, missing, signatures = self._shape_unit(unit, levels, context)
        return self._units.add(key, self._kind(unit), unit, shaped, missing, signatures)

    def _spaces_in_context(
        self, ids: list[int], units: list[str], levels: np.ndarray | None, starts: np.ndarray | None
    ) -> list[int]:
        """Spaces take the font and script of the text before them, as HarfBuzz itemisation joins
        common characters to the run they follow, and are shaped between their neighbours: word
        spaces inside Korean or Arabic text come from the Korean or Arabic font, as that font
        spaces them (Noto Sans CJK spaces Hangul wider than Latin)."""
        _, props = self._units.pooled()
        kind, last, first = props[0], props[7], props[8]
        unit_ids = np.asarray(ids, dtype=np.int64)
        before = np.concatenate(([-1], last[unit_ids[:-1]]))
        after = np.append(first[unit_ids[1:]], -1)
        spaces = np.flatnonzero(
            (kind[unit_ids] == SPACE) & (before >= 0) & ((before != last[unit_ids]) | (after != before))
        )
        if not len(spaces):
            return ids
        pairs = (unit_ids[spaces] << 42) + (before[spaces] << 21) + (after[spaces] + 1)
        unique, where, inverse = np.unique(pairs, return_index=True, return_inverse=True)
        replaced = []
        for pair, i in zip(unique.tolist(), spaces[where].tolist(), strict=True):
            unit = units[i]
            span = None if levels is None or starts is None else levels[starts[i] : starts[i] + len(unit)]
            context = SpaceContext(
                signature=int(before[i]),
                before=units[i - 1][-1],
                after=units[i + 1][0] if i + 1 < len(units) and units[i + 1] != "\n" else "",
            )
            key = ("in context", pair)
            replaced.append(
                self._unit_id(key, unit, span if span is not None and span.any() else None, context)
            )
        new_ids = np.asarray(replaced, dtype=np.int64)[inverse]
        for i, unit_id in zip(spaces.tolist(), new_ids.tolist(), strict=True):
            ids[i] = unit_id
        return ids

    # -- a whole text -----------------------------------------------------------------------

    def shape(self, text: str) -> ShapedText:
        """Shape a prepared text (paragraphs separated by newlines)."""
        if len(self._units) > _MAX_CACHED_UNITS:
            self._units = _UnitTable()
        units = self._pattern.findall(text)
        lengths = np.fromiter(map(len, units), dtype=np.int64, count=len(units))
        if int(lengths.sum()) != len(text):
            raise RuntimeError("text segmentation lost characters")
        index = self._units.index
        if has_rtl(text):
            levels, bases = text_levels(text)
            starts = np.cumsum(lengths) - lengths
            base_levels = bases[starts]
            high = np.maximum.reduceat(levels, starts)
            low = np.minimum.reduceat(levels, starts)
            # Units at one level are keyed by text and level; mixed ones by their level bytes.
            keys: list[object] = [
                u if h == 0 else f"{u}\x00{h}" if h == lo else (u, levels[a : a + len(u)].tobytes())
                for u, h, lo, a in zip(units, high.tolist(), low.tolist(), starts.tolist(), strict=True)
            ]
            ids = [index.get(k) for k in keys]
            if None in ids:
                ids = [
                    i if i is not None else self._unit_id(k, u, None if k is u else levels[a : a + len(u)])
                    for i, k, u, a in zip(ids, keys, units, starts.tolist(), strict=True)
                ]
            ids = self._spaces_in_context(ids, units, levels, starts)
        else:
            base_levels = np.zeros(len(units), dtype=np.int8)
            ids = [index.get(u) for u in units]
            if None in ids:
                ids = [
                    i if i is not None else self._unit_id(u, u, None) for i, u in zip(ids, units, strict=True)
                ]
            ids = self._spaces_in_context(ids, units, None, None)
        return self._assemble(np.asarray(ids, dtype=np.int64), lengths, base_levels)

    def _assemble(self, ids: np.ndarray, lengths: np.ndarray, base_levels: np.ndarray) -> ShapedText:
        pool, props = self._units.pooled()
        kind_all, nbb_all, nba_all, hyphen_all, count_all, start_all, has_missing, _, _ = props
        counts = count_all[ids]
        glyph_end = np.cumsum(counts)
        total = int(glyph_end[-1]) if len(glyph_end) else 0
        first = glyph_end - counts
        gather = np.repeat(start_all[ids] - first, counts) + np.arange(total)
        char_start = np.cumsum(lengths) - lengths
        gid, font, advance, x_offset, y_offset, cluster, level = (column[gather] for column in pool)
        cluster = cluster.astype(np.int64) + np.repeat(char_start, counts)

        kind = kind_all[ids]
        # A line may end after unit i when: i is a space, a newline or a newline marker; i is a word
        # ending in a hyphen followed by a word; or i or i+1 is CJK, unless kinsoku forbids it.
        nxt_kind = np.append(kind[1:], NEWLINE)
        nxt_nbb = np.append(nbb_all[ids][1:], False)
        break_after = (kind == SPACE) | (kind == NEWLINE) | (kind == MARKER)
        break_after |= hyphen_all[ids] & (nxt_kind == WORD)
        around_cjk = ((kind == CJK) | (nxt_kind == CJK)) & (kind != SPACE) & (nxt_kind != SPACE)
        break_after |= around_cjk & ~nxt_nbb & ~nba_all[ids]
        break_after &= nxt_kind != SPACE  # spaces hang at the end of a line...
        break_after |= kind == NEWLINE  # ...but a newline always ends one
        break_after[-1:] = True

        missing: dict[str, int] = {}
        for i in np.flatnonzero(has_missing[ids]):
            for char, n in (self._units.missing[ids[i]] or {}).items():
                missing[char] = missing.get(char, 0) + n
        return ShapedText(
            gid=gid,
            font=font,
            advance=advance,
            x_offset=x_offset,
            y_offset=y_offset,
            cluster=cluster,
            level=level,
            unit_kind=kind,
            unit_glyph_end=glyph_end,
            break_after=break_after,
            unit_base_level=base_levels,
            unit_char_start=char_start,
            missing=missing,
        )


def _is_mark(char: str) -> bool:
    return unicodedata.category(char) in ("Mn", "Mc", "Me")
