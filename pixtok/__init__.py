"""pixtok: what does text cost, and what survives, when a model reads it as pixels instead of tokens?

The public API is small; the command line (`pixtok ...`) calls exactly these functions.
"""

from __future__ import annotations

from pixtok.config import PRESETS, RenderConfig
from pixtok.errors import FontError, InputError, MissingDependencyError, PixtokError, UsageError
from pixtok.render import GlyphBoxes, Renderer, RenderResult, render

__version__ = "0.1.0"

__all__ = [
    "PRESETS",
    "FontError",
    "GlyphBoxes",
    "InputError",
    "MissingDependencyError",
    "PixtokError",
    "RenderConfig",
    "RenderResult",
    "Renderer",
    "UsageError",
    "__version__",
    "render",
]
