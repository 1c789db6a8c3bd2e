"""Glyph records as uharfbuzz's own objects give them: the reference the engine's shaping is held to."""

from __future__ import annotations

import numpy as np
import uharfbuzz as hb

from pixtok.render.harfbuzz import GlyphRecords, Item


def uharfbuzz_reference(cps: np.ndarray, items: list[Item]) -> GlyphRecords:
    """Each run shaped by uharfbuzz as a caller would: the whole text in the buffer, the run as
    the item, glyph records read from its objects."""
    text = cps.astype("<u4").tobytes().decode("utf-32-le", "surrogatepass")
    rows: list[tuple[int, ...]] = []
    count = []
    for item in items:
        buf = hb.Buffer()
        buf.cluster_level = hb.BufferClusterLevel.MONOTONE_GRAPHEMES
        buf.add_str(text, item.start, item.end - item.start)
        buf.direction = "rtl" if item.rtl else "ltr"
        buf.language = item.language or "und"
        if item.script:
            buf.script = item.script
        else:
            buf.guess_segment_properties()
        hb.shape(item.font.hb_font, buf, {})
        for info, pos in zip(buf.glyph_infos, buf.glyph_positions, strict=True):
            rows.append(
                (info.codepoint, info.cluster, int(info.flags), pos.x_advance, pos.x_offset, pos.y_offset)
            )
        count.append(len(buf.glyph_infos))
    table = np.asarray(rows, dtype=np.int64).reshape(-1, 6)
    return GlyphRecords(*(table[:, k] for k in range(6)), count=np.asarray(count))
