"""Text to raster pages, stage by stage.

Data flows one way through the modules of this package:

- `config`    frozen `RenderConfig`, presets, lengths resolved to pixels (`Geometry`)
- `text`      newline and tab handling before shaping
- `scripts`   which writing system a text is in
- `direction` bidirectional levels (UAX #9) and visual reordering
- `fonts`     find and load fonts, choose one per character
- `shaping`   HarfBuzz: text to glyphs with advances and clusters
- `layout`    glyphs to lines and pages (geometry only)
- `raster`    placed glyphs to pixels (FreeType glyph cache, numpy compositor)
- `engine`    `render()` and `Renderer`, which wire the stages once
"""

from __future__ import annotations

from pixtok.render.engine import GlyphBoxes, Renderer, RenderResult, render

__all__ = ["GlyphBoxes", "RenderResult", "Renderer", "render"]
